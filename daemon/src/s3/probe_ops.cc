// Answers for bucket features clients probe (aws cli, rclone, terraform, s3 test suites)
// that are not configured: AWS's "not configured" 404 (website, replication, ...) or the
// document of a feature that is off (versioning, logging,
// notifications, transfer acceleration, requester pays). The table is in s3_handler.cc.
#include "flashstor/s3/xml_writer.h"
#include "op_context.h"

namespace flashstor::s3 {

ApiError NotConfigured(OpContext& ctx, ErrorId missing) {
  Result<object::BucketInfo> info = ctx.layer.get_bucket_info(ctx.request_ctx, ctx.res.bucket);
  if (!info) return info.error();
  return missing;
}

ApiError DefaultConfig(OpContext& ctx, std::string (*document)()) {
  Result<object::BucketInfo> info = ctx.layer.get_bucket_info(ctx.request_ctx, ctx.res.bucket);
  if (!info) return info.error();
  return SendXml(ctx, 200, document());
}

}  // namespace flashstor::s3
