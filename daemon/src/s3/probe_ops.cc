// Answers for features we do not implement but that clients probe (aws cli, rclone,
// terraform, s3 test suites): owner-only ACLs (which may be "set" to themselves), objects
// without tags, and bucket features never configured: AWS's "not configured" 404 (policy,
// CORS, tags, lifecycle, encryption, object lock, website, replication, ownership controls,
// public access block) or the document of a feature that is off (versioning, logging,
// notifications, transfer acceleration, requester pays). The table is in s3_handler.cc.
#include "flashstor/s3/xml_writer.h"
#include "op_context.h"

namespace flashstor::s3 {

ApiError GetBucketAcl(OpContext& ctx) {
  Result<object::BucketInfo> info = ctx.layer.get_bucket_info(ctx.res.bucket);
  if (!info) return info.error();
  return SendXml(ctx, 200, AclXml(ctx.owner()));
}

namespace {

// Only the ACL every bucket and object has (owner-only) can be "set", and only by its
// canned name, as MinIO does: anything else would grant access we never give.
ApiError AcceptPrivateAclOnly(OpContext& ctx) {
  if (ctx.header("x-amz-acl") != "private") return Code::kNotImplemented;
  return SendEmpty(ctx, 200);
}

}  // namespace

ApiError NotConfigured(OpContext& ctx, ErrorId missing) {
  Result<object::BucketInfo> info = ctx.layer.get_bucket_info(ctx.res.bucket);
  if (!info) return info.error();
  return missing;
}

ApiError DefaultConfig(OpContext& ctx, std::string (*document)()) {
  Result<object::BucketInfo> info = ctx.layer.get_bucket_info(ctx.res.bucket);
  if (!info) return info.error();
  return SendXml(ctx, 200, document());
}

ApiError PutBucketAcl(OpContext& ctx) {
  Result<object::BucketInfo> info = ctx.layer.get_bucket_info(ctx.res.bucket);
  if (!info) return info.error();
  return AcceptPrivateAclOnly(ctx);
}

ApiError PutObjectAcl(OpContext& ctx) {
  Result<object::ObjectInfo> info = ctx.layer.get_object_info(ctx.res.bucket, ctx.res.key);
  if (!info) return info.error();
  return AcceptPrivateAclOnly(ctx);
}

ApiError GetObjectAcl(OpContext& ctx) {
  Result<object::ObjectInfo> info = ctx.layer.get_object_info(ctx.res.bucket, ctx.res.key);
  if (!info) return info.error();
  return SendXml(ctx, 200, AclXml(ctx.owner()));
}

}  // namespace flashstor::s3
