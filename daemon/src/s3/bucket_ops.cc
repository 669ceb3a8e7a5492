// Bucket operations: ListBuckets (with max-buckets / continuation-token / prefix /
// bucket-region pages), CreateBucket, HeadBucket, DeleteBucket, GetBucketLocation.
#include <string>

#include "flashstor/s3/headers.h"
#include "flashstor/s3/resource.h"
#include "flashstor/s3/xml_reader.h"
#include "flashstor/s3/xml_writer.h"
#include "list_token.h"
#include "op_context.h"

namespace flashstor::s3 {
namespace {

// AWS's page size: max-buckets is 1..10000, and a paginated request without it gets 10000.
constexpr int64_t kMaxBucketsPage = 10000;
constexpr size_t kMaxBucketNameLength = 63;

}  // namespace

ApiError ListBuckets(OpContext& ctx) {
  const http::QueryParam* max = ctx.param("max-buckets");
  const http::QueryParam* token = ctx.param("continuation-token");
  const http::QueryParam* prefix = ctx.param("prefix");
  const http::QueryParam* region = ctx.param("bucket-region");
  // Without any of these, AWS answers every bucket in one unpaginated list.
  const bool paged = max != nullptr || token != nullptr || prefix != nullptr || region != nullptr;
  object::BucketListOptions options;
  ListBucketsPage page;
  page.region = ctx.config.region;
  size_t page_size = 0;
  if (paged) {
    int64_t n = kMaxBucketsPage;
    if (max != nullptr) {
      std::optional<int64_t> parsed = ParseDecimal(max->value, kMaxBucketsPage);
      if (!parsed || *parsed < 1) {
        return ApiError(Code::kInvalidArgument,
                        "Argument max-buckets must be an integer between 1 and 10000.");
      }
      n = *parsed;
    }
    page_size = static_cast<size_t>(n);
    options.limit = page_size + 1;  // one more tells whether a next page exists
  }
  // An empty continuation-token is no token, as in ListObjectsV2.
  if (token != nullptr && !token->value.empty()) {
    std::optional<std::string> after = DecodeListToken(token->value, kMaxBucketNameLength);
    if (!after) {
      return ApiError(Code::kInvalidArgument, "The continuation token provided is incorrect");
    }
    options.start_after = std::move(*after);
  }
  if (prefix != nullptr) {
    options.prefix = std::string(prefix->value);
    page.prefix = prefix->value;
    page.prefix_sent = true;
  }
  std::vector<object::BucketInfo> buckets;
  // Every bucket lives in the server's one region.
  if (region == nullptr || region->value == ctx.config.region) {
    Result<std::vector<object::BucketInfo>> listed =
        ctx.layer.list_buckets(ctx.request_ctx, options);
    if (!listed) return listed.error();
    buckets = std::move(*listed);
  }
  std::string next;
  if (paged && buckets.size() > page_size) {
    buckets.resize(page_size);
    next = EncodeListToken(buckets.back().name);
  }
  page.continuation_token = next;
  return SendXml(ctx, 200, ListBucketsXml(buckets, ctx.owner(), page));
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
  object::MakeBucketOptions options;
  std::string_view lock = ctx.header("x-amz-bucket-object-lock-enabled");
  if (!lock.empty()) {
    if (!IEquals(lock, "true") && !IEquals(lock, "false")) {
      return ApiError(Code::kInvalidArgument,
                      "x-amz-bucket-object-lock-enabled must be either true or false");
    }
    options.object_lock_enabled = IEquals(lock, "true");
  }
  Status st = ctx.layer.make_bucket(ctx.request_ctx, ctx.res.bucket, options);
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
  Result<object::BucketInfo> info = ctx.layer.get_bucket_info(ctx.request_ctx, ctx.res.bucket);
  if (!info) return info.error();
  ctx.response().add_header("x-amz-bucket-region", ctx.config.region);
  return SendEmpty(ctx, 200);
}

ApiError DeleteBucket(OpContext& ctx) {
  FS_S3_RETURN_IF_ERROR(ctx.layer.delete_bucket(ctx.request_ctx, ctx.res.bucket));
  return SendEmpty(ctx, 204);
}

ApiError GetBucketLocation(OpContext& ctx) {
  Result<object::BucketInfo> info = ctx.layer.get_bucket_info(ctx.request_ctx, ctx.res.bucket);
  if (!info) return info.error();
  return SendXml(ctx, 200, LocationXml(ctx.config.region));
}

}  // namespace flashstor::s3
