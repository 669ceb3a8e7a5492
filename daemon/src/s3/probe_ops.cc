// Answers for features we do not implement but that clients probe (aws cli, rclone,
// terraform, s3 test suites): versioning never enabled, owner-only ACLs (which may be "set"
// to themselves), no bucket policy, CORS, tags, lifecycle, default encryption or object
// lock, and objects without tags.
#include "flashstor/s3/xml_writer.h"
#include "op_context.h"

namespace flashstor::s3 {

ApiError GetBucketVersioning(OpContext& ctx) {
  Result<object::BucketInfo> info = ctx.layer.get_bucket_info(ctx.res.bucket);
  if (!info) return info.error();
  return SendXml(ctx, 200, VersioningXml());
}

ApiError GetBucketAcl(OpContext& ctx) {
  Result<object::BucketInfo> info = ctx.layer.get_bucket_info(ctx.res.bucket);
  if (!info) return info.error();
  return SendXml(ctx, 200, AclXml(ctx.owner()));
}

ApiError GetBucketPolicy(OpContext& ctx) {
  Result<object::BucketInfo> info = ctx.layer.get_bucket_info(ctx.res.bucket);
  if (!info) return info.error();
  return ErrorId::kNoSuchBucketPolicy;
}

namespace {

// Only the ACL every bucket and object has (owner-only) can be "set", and only by its
// canned name, as MinIO does: anything else would grant access we never give.
ApiError AcceptPrivateAclOnly(OpContext& ctx) {
  if (ctx.header("x-amz-acl") != "private") return Code::kNotImplemented;
  return SendEmpty(ctx, 200);
}

// The bucket exists but has no such configuration: AWS's 404 for that feature.
ApiError NotConfigured(OpContext& ctx, ErrorId missing) {
  Result<object::BucketInfo> info = ctx.layer.get_bucket_info(ctx.res.bucket);
  if (!info) return info.error();
  return missing;
}

}  // namespace

ApiError GetBucketCors(OpContext& ctx) {
  return NotConfigured(ctx, ErrorId::kNoSuchCorsConfiguration);
}

ApiError GetBucketTagging(OpContext& ctx) {
  return NotConfigured(ctx, ErrorId::kNoSuchTagSet);
}

ApiError GetBucketLifecycle(OpContext& ctx) {
  return NotConfigured(ctx, ErrorId::kNoSuchLifecycleConfiguration);
}

ApiError GetBucketEncryption(OpContext& ctx) {
  return NotConfigured(ctx, ErrorId::kNoEncryptionConfiguration);
}

ApiError GetObjectLockConfiguration(OpContext& ctx) {
  return NotConfigured(ctx, ErrorId::kNoObjectLockConfiguration);
}

ApiError GetObjectTagging(OpContext& ctx) {
  Result<object::ObjectInfo> info = ctx.layer.get_object_info(ctx.res.bucket, ctx.res.key);
  if (!info) return info.error();
  return SendXml(ctx, 200, EmptyTaggingXml());
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
