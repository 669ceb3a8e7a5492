// S3 tags: validation against AWS's tag rules, the <Tagging> document (pugixml) and the
// x-amz-tagging header.
#include "flashstor/s3/tagging.h"

#include <pugixml.hpp>

#include <optional>
#include <set>

#include "flashstor/http/uri.h"
#include "flashstor/s3/headers.h"
#include "flashstor/s3/xml_writer.h"
#include "pugi_helpers.h"

namespace flashstor::s3 {
namespace {

// Number of code points of valid UTF-8 text whose characters are all allowed in a tag;
// nullopt otherwise. Allowed: letters, digits, space, + - = . _ : / @ and any non-ASCII
// character (AWS allows Unicode letters; we do not classify non-ASCII code points).
std::optional<size_t> CountTagChars(std::string_view s) {
  size_t chars = 0;
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t len = 1;
    if (c < 0x80) {
      const bool ok =
          (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
          std::string_view(" +-=._:/@").find(static_cast<char>(c)) != std::string_view::npos;
      if (!ok) return std::nullopt;
    } else if ((c & 0xE0) == 0xC0 && c >= 0xC2) {
      len = 2;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
    } else if ((c & 0xF8) == 0xF0 && c <= 0xF4) {
      len = 4;
    } else {
      return std::nullopt;
    }
    if (i + len > s.size()) return std::nullopt;
    for (size_t k = 1; k < len; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return std::nullopt;
    }
    i += len;
    ++chars;
  }
  return chars;
}

}  // namespace

ApiError ValidateTags(const object::Metadata& tags, TagScope scope) {
  if (scope == TagScope::kObject && tags.size() > kMaxObjectTags) {
    return ApiError(ErrorId::kBadRequest, "Object tags cannot be greater than 10");
  }
  if (scope == TagScope::kBucket && tags.size() > kMaxBucketTags) {
    return ApiError(ErrorId::kBadRequest, "Bucket tags cannot be greater than 50");
  }
  std::set<std::string_view> keys;
  for (const auto& [key, value] : tags) {
    std::optional<size_t> key_chars = CountTagChars(key);
    if (!key_chars || *key_chars == 0) {
      return ApiError(ErrorId::kInvalidTag, "The TagKey you have provided is invalid");
    }
    if (*key_chars > kMaxTagKeyChars) {
      return ApiError(ErrorId::kInvalidTag, "The TagKey you have provided is too long, max 128");
    }
    std::optional<size_t> value_chars = CountTagChars(value);
    if (!value_chars) {
      return ApiError(ErrorId::kInvalidTag, "The TagValue you have provided is invalid");
    }
    if (*value_chars > kMaxTagValueChars) {
      return ApiError(ErrorId::kInvalidTag, "The TagValue you have provided is too long, max 256");
    }
    if (key.size() >= 4 && IEquals(std::string_view(key).substr(0, 4), "aws:")) {
      return ApiError(ErrorId::kInvalidTag, "System tags cannot be added/updated by requester");
    }
    if (!keys.insert(key).second) {
      return ApiError(ErrorId::kInvalidTag, "Cannot provide multiple Tags with the same key");
    }
  }
  return {};
}

ApiError ParseTaggingXml(std::string_view xml, TagScope scope, object::Metadata& out) {
  out.clear();
  pugi::xml_document doc;
  if (!doc.load_buffer(xml.data(), xml.size(), pugi::parse_default | pugi::parse_ws_pcdata_single,
                       pugi::encoding_utf8)) {
    return Code::kMalformedXml;
  }
  pugi::xml_node root = doc.document_element();
  if (!root || LocalName(root) != "Tagging") return Code::kMalformedXml;
  pugi::xml_node tag_set;
  for (pugi::xml_node c = root.first_child(); c; c = c.next_sibling()) {
    if (c.type() != pugi::node_element) continue;
    if (LocalName(c) != "TagSet" || tag_set) return Code::kMalformedXml;
    tag_set = c;
  }
  if (!tag_set) return Code::kMalformedXml;
  // Bounded before validation: a body is at most kMaxTaggingBodyBytes anyway.
  const size_t limit = scope == TagScope::kObject ? kMaxObjectTags : kMaxBucketTags;
  for (pugi::xml_node tag = tag_set.first_child(); tag; tag = tag.next_sibling()) {
    if (tag.type() != pugi::node_element) continue;
    if (LocalName(tag) != "Tag") return Code::kMalformedXml;
    pugi::xml_node key, value;
    for (pugi::xml_node c = tag.first_child(); c; c = c.next_sibling()) {
      if (c.type() != pugi::node_element) continue;
      std::string_view name = LocalName(c);
      if (name == "Key" && !key) {
        key = c;
      } else if (name == "Value" && !value) {
        value = c;
      } else {
        return Code::kMalformedXml;
      }
    }
    if (!key || !value) return Code::kMalformedXml;
    if (out.size() > limit) break;  // ValidateTags answers the count
    out.emplace_back(key.text().get(), value.text().get());
  }
  return ValidateTags(out, scope);
}

ApiError ParseTaggingHeader(std::string_view header, mem::Arena& arena, object::Metadata& out) {
  out.clear();
  while (!header.empty()) {
    size_t amp = header.find('&');
    std::string_view pair = header.substr(0, amp);
    header = amp == std::string_view::npos ? std::string_view() : header.substr(amp + 1);
    if (pair.empty()) continue;
    if (out.size() > kMaxObjectTags) break;  // ValidateTags answers the count
    size_t eq = pair.find('=');
    std::string_view raw_key = pair.substr(0, eq);
    std::string_view raw_value = eq == std::string_view::npos ? "" : pair.substr(eq + 1);
    Result<std::string_view> key = http::PercentDecode(raw_key, arena, true);
    Result<std::string_view> value = http::PercentDecode(raw_value, arena, true);
    if (!key || !value) {
      return ApiError(Code::kInvalidArgument,
                      "The header 'x-amz-tagging' shall be encoded as "
                      "UTF-8 then URLEncoded URL query parameters "
                      "without tag name duplicates.");
    }
    out.emplace_back(std::string(*key), std::string(*value));
  }
  return ValidateTags(out, TagScope::kObject);
}

std::string TaggingXml(const object::Metadata& tags) {
  pugi::xml_document doc;
  pugi::xml_node decl = doc.append_child(pugi::node_declaration);
  decl.append_attribute("version") = "1.0";
  decl.append_attribute("encoding") = "UTF-8";
  pugi::xml_node root = doc.append_child("Tagging");
  root.append_attribute("xmlns") = std::string(kS3Namespace).c_str();
  pugi::xml_node set = root.append_child("TagSet");
  for (const auto& [key, value] : tags) {
    pugi::xml_node tag = set.append_child("Tag");
    tag.append_child("Key").text().set(key.c_str());
    tag.append_child("Value").text().set(value.c_str());
  }
  std::string out;
  StringWriter writer(out);
  // The declaration is a child node: format_no_declaration only drops pugixml's default one.
  doc.save(writer, "", pugi::format_raw | pugi::format_no_declaration, pugi::encoding_utf8);
  return out;
}

}  // namespace flashstor::s3
