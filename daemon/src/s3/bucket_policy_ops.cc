// Bucket policies: PutBucketPolicy validates the document (policy language, 20 KiB, resources
// of this bucket only) and stores it in the bucket settings under kConfigPolicy;
// GetBucketPolicy returns it as stored; DeleteBucketPolicy removes it; GetBucketPolicyStatus
// tells whether it is public (public_access_block.h); BlockPublicPolicy refuses public ones.
#include "flashstor/iam/policy.h"
#include "flashstor/object/bucket_metadata.h"
#include "flashstor/s3/xml_reader.h"
#include "op_context.h"
#include "public_access_block.h"

namespace flashstor::s3 {
namespace {

ApiError Malformed(OpContext& ctx, std::string_view reason) {
  return ApiError(ErrorId::kMalformedPolicy, ctx.ex.arena().copy(reason));
}

// Every Resource must name this bucket or objects in it, as AWS requires.
bool ResourcesOfBucket(const iam::Policy& policy, std::string_view bucket) {
  const std::string arn = "arn:aws:s3:::" + std::string(bucket);
  for (const iam::Statement& st : policy.statements) {
    for (const std::string& r : st.resources) {
      if (r != arn && !r.starts_with(arn + "/")) return false;
    }
  }
  return true;
}

Result<std::string> StoredPolicy(OpContext& ctx) {
  auto meta = ctx.layer.get_bucket_metadata(ctx.request_ctx, ctx.res.bucket);
  if (!meta) return std::unexpected(meta.error());
  const std::string* doc = (*meta)->config(object::kConfigPolicy);
  if (doc == nullptr) return Err(Code::kNotFound);
  return *doc;
}

}  // namespace

ApiError PutBucketPolicy(OpContext& ctx) {
  hash::HashingSource body(ctx.body, ctx.base_expect);
  std::string doc;
  ApiError read = ReadBoundedBody(body, iam::kMaxBucketPolicyBytes, doc);
  if (read.id() == ErrorId::kMaxMessageLengthExceeded) {
    return ApiError(ErrorId::kMalformedPolicy, "Policy exceeds the maximum allowed document size.");
  }
  FS_S3_RETURN_IF_ERROR(read);
  auto policy = iam::ParsePolicy(doc, iam::PolicyKind::kResource);
  if (!policy) return Malformed(ctx, policy.error().reason);
  if (!ResourcesOfBucket(*policy, ctx.res.bucket)) {
    return ApiError(ErrorId::kMalformedPolicy, "Policy has invalid resource");
  }
  if (PolicyIsPublic(*policy)) {
    auto meta = ctx.layer.get_bucket_metadata(ctx.request_ctx, ctx.res.bucket);
    if (!meta) return meta.error();
    auto pab = BucketPublicAccessBlock(**meta);
    if (pab && pab->block_public_policy) return Code::kAccessDenied;  // AWS: 403 AccessDenied
  }
  FS_S3_RETURN_IF_ERROR(ctx.layer.update_bucket_metadata(
      ctx.request_ctx, ctx.res.bucket, [&doc](object::BucketMetadata& m) {
        m.configs[std::string(object::kConfigPolicy)] = doc;
        return Status::Ok();
      }));
  return SendEmpty(ctx, 204);
}

ApiError GetBucketPolicy(OpContext& ctx) {
  Result<std::string> doc = StoredPolicy(ctx);
  if (!doc) {
    return doc.error().code() == Code::kNotFound ? ApiError(ErrorId::kNoSuchBucketPolicy)
                                                 : ApiError(doc.error());
  }
  http::ResponseWriter& resp = ctx.response();
  resp.set_status(200);
  resp.add_header("Content-Type", "application/json");
  return resp.send(*doc);
}

ApiError DeleteBucketPolicy(OpContext& ctx) {
  FS_S3_RETURN_IF_ERROR(ctx.layer.update_bucket_metadata(
      ctx.request_ctx, ctx.res.bucket, [](object::BucketMetadata& m) {
        auto it = m.configs.find(object::kConfigPolicy);
        if (it != m.configs.end()) m.configs.erase(it);
        return Status::Ok();
      }));
  return SendEmpty(ctx, 204);
}

ApiError GetBucketPolicyStatus(OpContext& ctx) {
  Result<std::string> doc = StoredPolicy(ctx);
  if (!doc) {
    return doc.error().code() == Code::kNotFound ? ApiError(ErrorId::kNoSuchBucketPolicy)
                                                 : ApiError(doc.error());
  }
  auto policy = iam::ParsePolicy(*doc, iam::PolicyKind::kResource);
  const bool is_public = policy && PolicyIsPublic(*policy);
  std::string xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<PolicyStatus xmlns=\"" +
                    std::string(kS3Namespace) + "\"><IsPublic>" + (is_public ? "true" : "false") +
                    "</IsPublic></PolicyStatus>";
  return SendXml(ctx, 200, xml);
}

}  // namespace flashstor::s3
