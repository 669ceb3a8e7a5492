// Answers for features we do not implement but that clients probe (aws cli, rclone):
// versioning never enabled, owner-only ACLs, no bucket policy.
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

ApiError GetObjectAcl(OpContext& ctx) {
  Result<object::ObjectInfo> info = ctx.layer.get_object_info(ctx.res.bucket, ctx.res.key);
  if (!info) return info.error();
  return SendXml(ctx, 200, AclXml(ctx.owner()));
}

}  // namespace flashstor::s3
