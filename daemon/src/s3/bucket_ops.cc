// Bucket operations: ListBuckets, CreateBucket, HeadBucket, DeleteBucket, GetBucketLocation.
#include <string>

#include "flashstor/s3/resource.h"
#include "flashstor/s3/xml_reader.h"
#include "flashstor/s3/xml_writer.h"
#include "op_context.h"

namespace flashstor::s3 {

ApiError ListBuckets(OpContext& ctx) {
  Result<std::vector<object::BucketInfo>> buckets = ctx.layer.list_buckets();
  if (!buckets) return buckets.error();
  return SendXml(ctx, 200, ListBucketsXml(*buckets, ctx.owner()));
}

ApiError CreateBucket(OpContext& ctx) {
  std::string_view bad = CheckBucketName(ctx.res.bucket);
  if (!bad.empty()) return ApiError(Code::kInvalidBucketName, bad);
  // The body is optional; it still has to pass x-amz-content-sha256 / trailer checks.
  hash::HashingSource body(ctx.body, ctx.base_expect);
  std::string xml;
  FS_S3_RETURN_IF_ERROR(ReadBoundedBody(body, kMaxBucketConfigBytes, xml));
  Result<std::string> location = ParseCreateBucketConfiguration(xml);
  if (!location) return location.error();
  if (!location->empty() && *location != ctx.config.region) {
    return ErrorId::kIllegalLocationConstraint;
  }
  Status st = ctx.layer.make_bucket(ctx.res.bucket);
  if (!st.ok()) {
    // us-east-1 legacy: the owner re-creating its bucket gets 200 (AWS documents this).
    const bool exists = st.code() == Code::kBucketExists || st.code() == Code::kVolumeExists;
    if (!(exists && ctx.config.region == "us-east-1" && ctx.config.us_east_1_recreate_ok)) {
      return st;
    }
  }
  std::string where = "/" + std::string(ctx.res.bucket);
  ctx.response().add_header("Location", where);
  return SendEmpty(ctx, 200);
}

ApiError HeadBucket(OpContext& ctx) {
  Result<object::BucketInfo> info = ctx.layer.get_bucket_info(ctx.res.bucket);
  if (!info) return info.error();
  ctx.response().add_header("x-amz-bucket-region", ctx.config.region);
  return SendEmpty(ctx, 200);
}

ApiError DeleteBucket(OpContext& ctx) {
  FS_S3_RETURN_IF_ERROR(ctx.layer.delete_bucket(ctx.res.bucket));
  return SendEmpty(ctx, 204);
}

ApiError GetBucketLocation(OpContext& ctx) {
  Result<object::BucketInfo> info = ctx.layer.get_bucket_info(ctx.res.bucket);
  if (!info) return info.error();
  return SendXml(ctx, 200, LocationXml(ctx.config.region));
}

}  // namespace flashstor::s3
