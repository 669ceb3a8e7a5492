// Parses the XML request bodies of S3 (pugixml, bounded input, element names matched without
// namespace prefixes) and reads bodies into bounded buffers.
#include "flashstor/s3/xml_reader.h"

#include <pugixml.hpp>

#include <cstring>

#include "flashstor/s3/headers.h"
#include "pugi_helpers.h"

namespace flashstor::s3 {
ApiError ReadBoundedBody(DataSource& src, size_t max_bytes, std::string& out) {
  out.clear();
  char buf[16 * 1024];
  for (;;) {
    Result<size_t> n = src.read(buf);
    if (!n) return n.error();
    if (*n == 0) return {};
    if (out.size() + *n > max_bytes) return ErrorId::kMaxMessageLengthExceeded;
    out.append(buf, *n);
  }
}

Result<std::vector<object::CompletePart>> ParseCompleteMultipartUpload(std::string_view xml) {
  pugi::xml_document doc;
  if (!Load(doc, xml)) return Err(Code::kMalformedXml);
  pugi::xml_node root = Root(doc, "CompleteMultipartUpload");
  if (!root) return Err(Code::kMalformedXml);
  std::vector<object::CompletePart> parts;
  for (pugi::xml_node n = root.first_child(); n; n = n.next_sibling()) {
    if (n.type() != pugi::node_element || LocalName(n) != "Part") continue;
    if (parts.size() >= static_cast<size_t>(kMaxParts)) return Err(Code::kMalformedXml);
    std::optional<int64_t> number = ParseDecimal(TrimWs(Text(Child(n, "PartNumber"))), kMaxParts);
    if (!number || *number < 1) return Err(Code::kMalformedXml);
    std::string_view etag = UnquoteEtag(TrimWs(Text(Child(n, "ETag"))));
    if (etag.empty()) return Err(Code::kMalformedXml);
    object::CompletePart part;
    part.number = static_cast<int>(*number);
    part.etag = std::string(etag);
    for (pugi::xml_node c = n.first_child(); c; c = c.next_sibling()) {
      std::string_view name = LocalName(c);
      if (c.type() == pugi::node_element && name.substr(0, 8) == "Checksum") {
        part.checksum_b64 = std::string(TrimWs(Text(c)));
      }
    }
    if (!parts.empty() && part.number <= parts.back().number) {
      return Err(Code::kInvalidPartOrder);
    }
    parts.push_back(std::move(part));
  }
  if (parts.empty()) return Err(Code::kMalformedXml);
  return parts;
}

Result<DeleteRequest> ParseDeleteObjects(std::string_view xml) {
  pugi::xml_document doc;
  if (!Load(doc, xml)) return Err(Code::kMalformedXml);
  pugi::xml_node root = Root(doc, "Delete");
  if (!root) return Err(Code::kMalformedXml);
  DeleteRequest req;
  for (pugi::xml_node n = root.first_child(); n; n = n.next_sibling()) {
    if (n.type() != pugi::node_element) continue;
    std::string_view name = LocalName(n);
    if (name == "Quiet") {
      std::string_view v = TrimWs(Text(n));
      if (v != "true" && v != "false") return Err(Code::kMalformedXml);
      req.quiet = v == "true";
    } else if (name == "Object") {
      if (req.objects.size() >= kMaxDeleteKeys) return Err(Code::kMalformedXml);
      pugi::xml_node key = Child(n, "Key");
      if (!key) return Err(Code::kMalformedXml);
      // Keys are taken verbatim: leading/trailing spaces are part of the key.
      std::string_view k = Text(key);
      if (k.empty() || k.size() > kMaxKeyLength) return Err(Code::kMalformedXml);
      req.objects.push_back({std::string(k), std::string(TrimWs(Text(Child(n, "VersionId")))),
                             std::string(UnquoteEtag(TrimWs(Text(Child(n, "ETag")))))});
    }
  }
  if (req.objects.empty()) return Err(Code::kMalformedXml);
  return req;
}

Result<std::string> ParseVersioningConfiguration(std::string_view xml) {
  pugi::xml_document doc;
  if (!Load(doc, xml)) return Err(Code::kMalformedXml);
  pugi::xml_node root = Root(doc, "VersioningConfiguration");
  if (!root) return Err(Code::kMalformedXml);
  std::string_view mfa = TrimWs(Text(Child(root, "MfaDelete")));
  if (mfa == "Enabled") return Err(Code::kNotImplemented, "MFA delete is not implemented.");
  if (!mfa.empty() && mfa != "Disabled") return Err(Code::kMalformedXml);
  std::string_view status = TrimWs(Text(Child(root, "Status")));
  if (!status.empty() && status != "Enabled" && status != "Suspended") {
    return Err(Code::kMalformedXml);
  }
  return std::string(status);
}

Result<std::string> ParseCreateBucketConfiguration(std::string_view xml) {
  if (TrimWs(xml).empty()) return std::string();
  pugi::xml_document doc;
  if (!Load(doc, xml)) return Err(Code::kMalformedXml);
  pugi::xml_node root = Root(doc, "CreateBucketConfiguration");
  if (!root) return Err(Code::kMalformedXml);
  // Location / Bucket (directory buckets) and Tags ask for what we do not have.
  for (pugi::xml_node n = root.first_child(); n; n = n.next_sibling()) {
    if (n.type() == pugi::node_element && LocalName(n) != "LocationConstraint") {
      return Err(Code::kNotImplemented,
                 "Only LocationConstraint is implemented in CreateBucketConfiguration.");
    }
  }
  return std::string(TrimWs(Text(Child(root, "LocationConstraint"))));
}

}  // namespace flashstor::s3
