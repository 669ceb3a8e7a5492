// Bucket default encryption: Put/Get/DeleteBucketEncryption (a validated, canonical
// <ServerSideEncryptionConfiguration> in the bucket settings) and ReadBucketDefault, the
// SSEAlgorithm new objects without SSE headers get.
#include "sse_bucket.h"

#include <pugixml.hpp>

#include <string>
#include <vector>

#include "flashstor/s3/xml_reader.h"
#include "pugi_helpers.h"
#include "sse_kms.h"

namespace flashstor::s3::sse {
namespace {

constexpr std::string_view kXmlns = "http://s3.amazonaws.com/doc/2006-03-01/";
constexpr size_t kMaxEncryptionXml = 16 * 1024;

std::vector<pugi::xml_node> Children(const pugi::xml_node& n, std::string_view name) {
  std::vector<pugi::xml_node> out;
  for (pugi::xml_node c : n.children()) {
    if (c.type() == pugi::node_element && LocalName(c) == name) out.push_back(c);
  }
  return out;
}

bool OnlyKnownChildren(const pugi::xml_node& n, std::initializer_list<std::string_view> names) {
  for (pugi::xml_node c : n.children()) {
    if (c.type() != pugi::node_element) continue;
    bool known = false;
    for (std::string_view name : names) known |= LocalName(c) == name;
    if (!known) return false;
  }
  return true;
}

// The client's document, validated; out: the canonical form to store, kms: whether it names
// aws:kms, kms_key: its KMSMasterKeyID.
ApiError CanonicalConfig(std::string_view xml, std::string& out, bool& kms, std::string& kms_key) {
  pugi::xml_document doc;
  if (!doc.load_buffer(xml.data(), xml.size())) return Code::kMalformedXml;
  pugi::xml_node root = doc.document_element();
  if (LocalName(root) != "ServerSideEncryptionConfiguration" ||
      !OnlyKnownChildren(root, {"Rule"})) {
    return Code::kMalformedXml;
  }
  std::vector<pugi::xml_node> rules = Children(root, "Rule");
  if (rules.size() != 1) return Code::kMalformedXml;
  pugi::xml_node rule = rules[0];
  if (!OnlyKnownChildren(rule, {"ApplyServerSideEncryptionByDefault", "BucketKeyEnabled"})) {
    return Code::kMalformedXml;
  }
  std::vector<pugi::xml_node> apply = Children(rule, "ApplyServerSideEncryptionByDefault");
  std::vector<pugi::xml_node> bucket_key = Children(rule, "BucketKeyEnabled");
  if (apply.size() != 1 || bucket_key.size() > 1) return Code::kMalformedXml;
  if (!OnlyKnownChildren(apply[0], {"SSEAlgorithm", "KMSMasterKeyID"})) {
    return Code::kMalformedXml;
  }
  std::vector<pugi::xml_node> algo = Children(apply[0], "SSEAlgorithm");
  std::vector<pugi::xml_node> kms_nodes = Children(apply[0], "KMSMasterKeyID");
  if (algo.size() != 1 || kms_nodes.size() > 1) return Code::kMalformedXml;
  kms_key = kms_nodes.empty() ? std::string() : std::string(kms_nodes[0].text().get());
  std::string_view value = algo[0].text().get();
  std::string_view key_enabled = bucket_key.empty() ? "false" : bucket_key[0].text().get();
  if (key_enabled != "true" && key_enabled != "false") return Code::kMalformedXml;
  if (value == "aws:kms:dsse") {
    return ApiError(Code::kNotImplemented,
                    "DSSE-KMS is not implemented: a bucket default of aws:kms:dsse is refused.");
  }
  kms = value == "aws:kms";
  if (value != "AES256" && !kms) {
    return ApiError(Code::kInvalidArgument, "The encryption method specified is not supported");
  }
  if (!kms && !kms_nodes.empty()) {
    return ApiError(Code::kInvalidArgument,
                    "a KMSMasterKeyID is not applicable if the default sse algorithm is not "
                    "aws:kms or aws:kms:dsse");
  }
  pugi::xml_document canonical;
  pugi::xml_node c = canonical.append_child("ServerSideEncryptionConfiguration");
  c.append_attribute("xmlns").set_value(std::string(kXmlns).c_str());
  pugi::xml_node r = c.append_child("Rule");
  pugi::xml_node apply_out = r.append_child("ApplyServerSideEncryptionByDefault");
  apply_out.append_child("SSEAlgorithm").text().set(kms ? "aws:kms" : "AES256");
  if (kms && !kms_key.empty()) {
    apply_out.append_child("KMSMasterKeyID").text().set(kms_key.c_str());
  }
  r.append_child("BucketKeyEnabled").text().set(std::string(key_enabled).c_str());
  out.clear();
  StringWriter writer(out);
  canonical.save(writer, "", pugi::format_raw | pugi::format_no_declaration);
  return {};
}

}  // namespace

BucketDefault ParseBucketDefault(std::string_view doc, std::string* kms_key) {
  pugi::xml_document xml;
  if (!xml.load_buffer(doc.data(), doc.size())) return BucketDefault::kNone;
  pugi::xml_node apply = xml.child("ServerSideEncryptionConfiguration")
                             .child("Rule")
                             .child("ApplyServerSideEncryptionByDefault");
  std::string_view value = apply.child("SSEAlgorithm").text().get();
  if (value == "AES256") return BucketDefault::kAes256;
  if (value == "aws:kms" || value == "aws:kms:dsse") {
    if (kms_key != nullptr) *kms_key = apply.child("KMSMasterKeyID").text().get();
    return BucketDefault::kKms;
  }
  return BucketDefault::kNone;
}

Result<BucketDefault> ReadBucketDefault(OpContext& ctx, std::string* kms_key) {
  Result<std::shared_ptr<const object::BucketMetadata>> meta =
      ctx.layer.get_bucket_metadata(ctx.request_ctx, ctx.res.bucket);
  if (!meta) return std::unexpected(meta.error());
  const std::string* doc = (*meta)->config(object::kConfigEncryption);
  return doc == nullptr ? BucketDefault::kNone : ParseBucketDefault(*doc, kms_key);
}

}  // namespace flashstor::s3::sse

namespace flashstor::s3 {

ApiError PutBucketEncryption(OpContext& ctx) {
  hash::Expectations expect;
  FS_S3_RETURN_IF_ERROR(BuildPutExpectations(ctx, expect));
  hash::HashingSource body(ctx.body, std::move(expect));
  std::string xml;
  FS_S3_RETURN_IF_ERROR(ReadBoundedBody(body, sse::kMaxEncryptionXml, xml));
  std::string canonical, kms_key;
  bool kms = false;
  FS_S3_RETURN_IF_ERROR(sse::CanonicalConfig(xml, canonical, kms, kms_key));
  if (kms) {
    // The key id must be one that can exist (its existence is checked by each write, as a
    // key may be created after the bucket default names it).
    std::string name;
    FS_S3_RETURN_IF_ERROR(kms_key.empty() ? sse::RequireKms(ctx)
                                          : sse::ResolveKmsKey(ctx, kms_key, name));
  } else if (!ctx.config.sse_keys) {
    return ApiError(Code::kNotImplemented,
                    "SSE-S3 needs a master key: the server was started without one.");
  }
  FS_S3_RETURN_IF_ERROR(ctx.layer.update_bucket_metadata(
      ctx.request_ctx, ctx.res.bucket, [&](object::BucketMetadata& meta) {
        meta.configs[std::string(object::kConfigEncryption)] = canonical;
        return Status::Ok();
      }));
  return SendEmpty(ctx, 200);
}

ApiError GetBucketEncryption(OpContext& ctx) {
  auto meta = ctx.layer.get_bucket_metadata(ctx.request_ctx, ctx.res.bucket);
  if (!meta) return meta.error();
  const std::string* doc = (*meta)->config(object::kConfigEncryption);
  if (doc == nullptr) return ApiError(ErrorId::kNoEncryptionConfiguration);
  return SendXml(ctx, 200, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" + *doc);
}

ApiError DeleteBucketEncryption(OpContext& ctx) {
  FS_S3_RETURN_IF_ERROR(ctx.layer.update_bucket_metadata(
      ctx.request_ctx, ctx.res.bucket, [](object::BucketMetadata& meta) {
        meta.configs.erase(std::string(object::kConfigEncryption));
        return Status::Ok();
      }));
  return SendEmpty(ctx, 204);
}

}  // namespace flashstor::s3
