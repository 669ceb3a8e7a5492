// CORS rules: validation of a PutBucketCors document (pugixml), its canonical form, and the
// matcher AWS documents ("How Amazon S3 evaluates the CORS configuration": the first rule
// whose origin, method and headers all match wins).
#include "flashstor/s3/cors.h"

#include <pugixml.hpp>

#include "flashstor/s3/headers.h"
#include "flashstor/s3/xml_writer.h"
#include "pugi_helpers.h"

namespace flashstor::s3 {
namespace {

bool IsCorsMethod(std::string_view m) {
  return m == "GET" || m == "PUT" || m == "POST" || m == "DELETE" || m == "HEAD";
}

size_t CountStars(std::string_view s) {
  size_t n = 0;
  for (char c : s) n += c == '*';
  return n;
}

bool CharEquals(char a, char b, bool ignore_case) {
  if (!ignore_case) return a == b;
  auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
  return lower(a) == lower(b);
}

bool TextEquals(std::string_view a, std::string_view b, bool ignore_case) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (!CharEquals(a[i], b[i], ignore_case)) return false;
  }
  return true;
}

ApiError ParseRule(const pugi::xml_node& node, CorsRule& rule) {
  bool have_max_age = false;
  for (pugi::xml_node c = node.first_child(); c; c = c.next_sibling()) {
    if (c.type() != pugi::node_element) continue;
    std::string_view name = LocalName(c);
    std::string value = std::string(Trim(c.text().get()));
    if (name == "AllowedOrigin") {
      if (value.empty()) return Code::kMalformedXml;
      if (CountStars(value) > 1) {
        return ApiError(Code::kInvalidRequest,
                        "An AllowedOrigin can not have more than one wildcard.");
      }
      rule.allowed_origins.push_back(std::move(value));
    } else if (name == "AllowedMethod") {
      if (!IsCorsMethod(value)) {
        return ApiError(Code::kInvalidRequest,
                        "Found unsupported HTTP method in CORS config. Supported methods are "
                        "GET, PUT, POST, DELETE and HEAD.");
      }
      rule.allowed_methods.push_back(std::move(value));
    } else if (name == "AllowedHeader") {
      if (value.empty()) return Code::kMalformedXml;
      if (CountStars(value) > 1) {
        return ApiError(Code::kInvalidRequest,
                        "An AllowedHeader can not have more than one wildcard.");
      }
      rule.allowed_headers.push_back(std::move(value));
    } else if (name == "ExposeHeader") {
      if (value.empty()) return Code::kMalformedXml;
      if (CountStars(value) > 0) {
        return ApiError(Code::kInvalidRequest,
                        "ExposeHeader contains wildcard. We currently do not support wildcard "
                        "for ExposeHeader.");
      }
      rule.expose_headers.push_back(std::move(value));
    } else if (name == "MaxAgeSeconds" && !have_max_age) {
      std::optional<int64_t> age = ParseDecimal(value, kMaxCorsMaxAgeSeconds);
      if (!age) {
        return ApiError(Code::kInvalidRequest,
                        "MaxAgeSeconds must be an integer between 0 and 2147483647.");
      }
      rule.max_age_seconds = *age;
      have_max_age = true;
    } else if (name == "ID" && rule.id.empty()) {
      if (value.size() > kMaxCorsRuleIdLength) {
        return ApiError(Code::kInvalidArgument, "The ID of a CORS rule is at most 255 characters.");
      }
      rule.id = std::move(value);
    } else {
      return Code::kMalformedXml;
    }
  }
  if (rule.allowed_origins.empty() || rule.allowed_methods.empty()) return Code::kMalformedXml;
  return {};
}

}  // namespace

ApiError ParseCorsXml(std::string_view xml, CorsConfig& out) {
  out.rules.clear();
  pugi::xml_document doc;
  if (!doc.load_buffer(xml.data(), xml.size(), pugi::parse_default | pugi::parse_ws_pcdata_single,
                       pugi::encoding_utf8)) {
    return Code::kMalformedXml;
  }
  pugi::xml_node root = doc.document_element();
  if (!root || LocalName(root) != "CORSConfiguration") return Code::kMalformedXml;
  for (pugi::xml_node c = root.first_child(); c; c = c.next_sibling()) {
    if (c.type() != pugi::node_element) continue;
    if (LocalName(c) != "CORSRule") return Code::kMalformedXml;
    if (out.rules.size() == kMaxCorsRules) {
      return ApiError(Code::kInvalidRequest, "The CORS configuration can have at most 100 rules.");
    }
    CorsRule rule;
    FS_S3_RETURN_IF_ERROR(ParseRule(c, rule));
    out.rules.push_back(std::move(rule));
  }
  if (out.rules.empty()) return Code::kMalformedXml;
  return {};
}

std::string CorsXml(const CorsConfig& config) {
  pugi::xml_document doc;
  pugi::xml_node decl = doc.append_child(pugi::node_declaration);
  decl.append_attribute("version") = "1.0";
  decl.append_attribute("encoding") = "UTF-8";
  pugi::xml_node root = doc.append_child("CORSConfiguration");
  root.append_attribute("xmlns") = std::string(kS3Namespace).c_str();
  auto add_all = [](pugi::xml_node parent, const char* name, const std::vector<std::string>& v) {
    for (const std::string& s : v) parent.append_child(name).text().set(s.c_str());
  };
  for (const CorsRule& r : config.rules) {
    pugi::xml_node n = root.append_child("CORSRule");
    if (!r.id.empty()) n.append_child("ID").text().set(r.id.c_str());
    add_all(n, "AllowedHeader", r.allowed_headers);
    add_all(n, "AllowedMethod", r.allowed_methods);
    add_all(n, "AllowedOrigin", r.allowed_origins);
    add_all(n, "ExposeHeader", r.expose_headers);
    if (r.max_age_seconds >= 0) {
      n.append_child("MaxAgeSeconds").text().set(std::to_string(r.max_age_seconds).c_str());
    }
  }
  std::string out;
  StringWriter writer(out);
  // The declaration is a child node: format_no_declaration only drops pugixml's default one.
  doc.save(writer, "", pugi::format_raw | pugi::format_no_declaration, pugi::encoding_utf8);
  return out;
}

bool CorsWildcardMatch(std::string_view pattern, std::string_view text, bool ignore_case) {
  size_t star = pattern.find('*');
  if (star == std::string_view::npos) return TextEquals(pattern, text, ignore_case);
  std::string_view head = pattern.substr(0, star);
  std::string_view tail = pattern.substr(star + 1);
  if (text.size() < head.size() + tail.size()) return false;
  return TextEquals(head, text.substr(0, head.size()), ignore_case) &&
         TextEquals(tail, text.substr(text.size() - tail.size()), ignore_case);
}

const CorsRule* MatchCorsRule(const CorsConfig& config, std::string_view origin,
                              std::string_view method,
                              std::span<const std::string_view> request_headers) {
  for (const CorsRule& rule : config.rules) {
    bool origin_ok = false;
    for (const std::string& o : rule.allowed_origins) {
      if (CorsWildcardMatch(o, origin, /*ignore_case=*/false)) {
        origin_ok = true;
        break;
      }
    }
    if (!origin_ok) continue;
    bool method_ok = false;
    for (const std::string& m : rule.allowed_methods) method_ok = method_ok || m == method;
    if (!method_ok) continue;
    bool headers_ok = true;
    for (std::string_view h : request_headers) {
      bool allowed = false;
      for (const std::string& a : rule.allowed_headers) {
        if (CorsWildcardMatch(a, h, /*ignore_case=*/true)) {
          allowed = true;
          break;
        }
      }
      if (!allowed) {
        headers_ok = false;
        break;
      }
    }
    if (headers_ok) return &rule;
  }
  return nullptr;
}

bool SplitHeaderList(std::string_view list, size_t max_items, std::vector<std::string_view>& out) {
  out.clear();
  while (!list.empty()) {
    size_t comma = list.find(',');
    std::string_view item = Trim(list.substr(0, comma));
    list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
    if (item.empty()) continue;
    if (out.size() == max_items) return false;
    out.push_back(item);
  }
  return true;
}

}  // namespace flashstor::s3
