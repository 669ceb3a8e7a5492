// Block Public Access: the settings document (pugixml), and what AWS calls public in a bucket
// policy and in ACL request headers.
#include "public_access_block.h"

#include <pugixml.hpp>

#include <array>
#include <cctype>

#include "pugi_helpers.h"

namespace flashstor::s3 {
namespace {

bool IEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

// Condition keys whose fixed values make a statement non-public (AWS's list).
constexpr auto kFixingKeys = std::to_array<std::string_view>({
    "aws:sourcearn",
    "aws:sourcevpc",
    "aws:sourcevpce",
    "aws:sourceowner",
    "aws:sourceaccount",
    "s3:x-amz-server-side-encryption-aws-kms-key-id",
    "aws:userid",
});

bool Fixed(std::string_view value) {
  return value.find_first_of("*?") == std::string_view::npos &&
         value.find("${") == std::string_view::npos;
}

// An aws:SourceIp set that excludes some of the Internet: no /0 range.
bool FixesSourceIp(const iam::Condition& c) {
  if (c.op != "IpAddress" || c.if_exists || c.values.empty()) return false;
  for (const std::string& v : c.values) {
    if (v.ends_with("/0")) return false;
  }
  return true;
}

bool FixesCaller(const iam::Condition& c) {
  if (c.key == "aws:sourceip") return FixesSourceIp(c);
  bool listed = false;
  for (std::string_view k : kFixingKeys) listed = listed || c.key == k;
  if (!listed || c.if_exists || c.values.empty()) return false;
  if (c.op != "StringEquals" && c.op != "StringEqualsIgnoreCase" && c.op != "ArnEquals" &&
      c.op != "StringLike" && c.op != "ArnLike") {
    return false;
  }
  for (const std::string& v : c.values) {
    if (!Fixed(v)) return false;
  }
  return true;
}

bool GrantsToEveryone(const iam::Statement& st) {
  if (st.not_principal) return true;  // everyone but the listed principals
  for (const std::string& p : st.principals) {
    if (p == "*") return true;
  }
  return false;
}

bool ParseBool(const pugi::xml_node& n, bool& out) {
  std::string_view v = n.child_value();
  if (v == "true" || v == "TRUE" || v == "True") {
    out = true;
  } else if (v == "false" || v == "FALSE" || v == "False") {
    out = false;
  } else {
    return false;
  }
  return true;
}

}  // namespace

Result<PublicAccessBlock> ParsePublicAccessBlock(std::string_view xml) {
  pugi::xml_document doc;
  if (!doc.load_buffer(xml.data(), xml.size(), pugi::parse_default | pugi::parse_ws_pcdata_single,
                       pugi::encoding_utf8)) {
    return Err(Code::kMalformedXml);
  }
  pugi::xml_node root = doc.document_element();
  if (!root || LocalName(root) != "PublicAccessBlockConfiguration") {
    return Err(Code::kMalformedXml);
  }
  PublicAccessBlock pab;
  std::array<bool, 4> seen{};
  for (pugi::xml_node c = root.first_child(); c; c = c.next_sibling()) {
    if (c.type() != pugi::node_element) continue;
    std::string_view name = LocalName(c);
    bool* field = nullptr;
    size_t index = 0;
    if (name == "BlockPublicAcls") {
      field = &pab.block_public_acls;
    } else if (name == "IgnorePublicAcls") {
      field = &pab.ignore_public_acls;
      index = 1;
    } else if (name == "BlockPublicPolicy") {
      field = &pab.block_public_policy;
      index = 2;
    } else if (name == "RestrictPublicBuckets") {
      field = &pab.restrict_public_buckets;
      index = 3;
    }
    if (field == nullptr || seen[index] || !ParseBool(c, *field)) return Err(Code::kMalformedXml);
    seen[index] = true;
  }
  return pab;
}

std::string PublicAccessBlockXml(const PublicAccessBlock& pab) {
  auto b = [](bool v) { return v ? "true" : "false"; };
  return std::string("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n") +
         "<PublicAccessBlockConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">" +
         "<BlockPublicAcls>" + b(pab.block_public_acls) + "</BlockPublicAcls>" +
         "<IgnorePublicAcls>" + b(pab.ignore_public_acls) + "</IgnorePublicAcls>" +
         "<BlockPublicPolicy>" + b(pab.block_public_policy) + "</BlockPublicPolicy>" +
         "<RestrictPublicBuckets>" + b(pab.restrict_public_buckets) +
         "</RestrictPublicBuckets></PublicAccessBlockConfiguration>";
}

std::optional<PublicAccessBlock> BucketPublicAccessBlock(const object::BucketMetadata& meta) {
  const std::string* doc = meta.config(object::kConfigPublicAccessBlock);
  if (doc == nullptr) return std::nullopt;
  auto pab = ParsePublicAccessBlock(*doc);
  if (!pab) {
    // Validated when stored: a damaged record blocks everything rather than nothing.
    return PublicAccessBlock{true, true, true, true};
  }
  return *pab;
}

bool PolicyIsPublic(const iam::Policy& policy) {
  for (const iam::Statement& st : policy.statements) {
    if (!st.allow || !GrantsToEveryone(st)) continue;
    bool fixed = false;
    for (const iam::Condition& c : st.conditions) fixed = fixed || FixesCaller(c);
    if (!fixed) return true;
  }
  return false;
}

bool RequestHasPublicAcl(const http::Request& req) {
  for (const http::Header& h : req.headers) {
    if (IEquals(h.name, "x-amz-acl")) {
      if (IEquals(h.value, "public-read") || IEquals(h.value, "public-read-write") ||
          IEquals(h.value, "authenticated-read")) {
        return true;
      }
    } else if (h.name.size() > 12 && IEquals(h.name.substr(0, 12), "x-amz-grant-")) {
      if (h.value.find("acs.amazonaws.com/groups/global/AllUsers") != std::string_view::npos ||
          h.value.find("acs.amazonaws.com/groups/global/AuthenticatedUsers") !=
              std::string_view::npos) {
        return true;
      }
    }
  }
  return false;
}

ApiError CheckPublicAclWrite(const http::Request& req, std::string_view bucket,
                             object::ObjectLayer& layer, const object::RequestContext& rctx) {
  if (bucket.empty() || req.method == http::Method::kGet || req.method == http::Method::kHead ||
      !RequestHasPublicAcl(req)) {
    return {};
  }
  auto meta = layer.get_bucket_metadata(rctx, bucket);
  if (!meta) return {};  // CreateBucket, or a missing bucket the operation reports itself
  auto pab = BucketPublicAccessBlock(**meta);
  if (pab && pab->block_public_acls) return Code::kAccessDenied;
  return {};
}

}  // namespace flashstor::s3
