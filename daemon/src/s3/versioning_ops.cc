// Bucket versioning: Get/PutBucketVersioning, and the version headers object operations
// share (x-amz-version-id, x-amz-delete-marker, the answers about delete markers).
#include <string>

#include "flashstor/s3/headers.h"
#include "flashstor/s3/xml_reader.h"
#include "flashstor/s3/xml_writer.h"
#include "op_context.h"

namespace flashstor::s3 {
namespace {

constexpr size_t kMaxVersioningBodyBytes = 4096;

}  // namespace

bool VersioningConfigured(OpContext& ctx) {
  auto meta = ctx.layer.get_bucket_metadata(ctx.request_ctx, ctx.res.bucket);
  return meta && (*meta)->versioning_configured();
}

void AddVersionIdHeader(OpContext& ctx, std::string_view version_id) {
  if (!version_id.empty()) ctx.response().add_header("x-amz-version-id", version_id);
}

ApiError DeleteMarkerAnswer(OpContext& ctx, Status missing, std::string_view version_id) {
  if (missing.code() != Code::kNoSuchKey && missing.code() != Code::kNoSuchVersion) {
    return missing;
  }
  if (!VersioningConfigured(ctx)) return missing;
  Result<object::ObjectInfo> marker =
      ctx.layer.get_object_info(ctx.request_ctx, ctx.res.bucket, ctx.res.key, version_id, true);
  if (!marker || !marker->delete_marker) return missing;
  http::ResponseWriter& resp = ctx.response();
  resp.add_header("x-amz-delete-marker", "true");
  resp.add_header("x-amz-version-id", marker->version_id.empty() ? "null" : marker->version_id);
  if (version_id.empty()) return Code::kNoSuchKey;
  // AWS: a delete marker named by its version id cannot be read.
  resp.add_header("Last-Modified", FormatHttpDate(marker->mod_time_ns));
  return ErrorId::kMethodNotAllowed;
}

ApiError GetBucketVersioning(OpContext& ctx) {
  auto meta = ctx.layer.get_bucket_metadata(ctx.request_ctx, ctx.res.bucket);
  if (!meta) return meta.error();
  return SendXml(ctx, 200, VersioningXml(object::VersioningStateName((*meta)->versioning)));
}

ApiError PutBucketVersioning(OpContext& ctx) {
  if (ctx.req.has_header("x-amz-mfa")) {
    return ApiError(Code::kNotImplemented, "MFA delete is not implemented.");
  }
  hash::Expectations expect;
  FS_S3_RETURN_IF_ERROR(BuildPutExpectations(ctx, expect));
  hash::HashingSource body(ctx.body, std::move(expect));
  std::string xml;
  FS_S3_RETURN_IF_ERROR(ReadBoundedBody(body, kMaxVersioningBodyBytes, xml));
  Result<std::string> status = ParseVersioningConfiguration(xml);
  if (!status) return status.error();
  if (status->empty()) {
    // No Status: the state stays as it is (the bucket must exist).
    auto meta = ctx.layer.get_bucket_metadata(ctx.request_ctx, ctx.res.bucket);
    if (!meta) return meta.error();
    return SendEmpty(ctx, 200);
  }
  const object::VersioningState want = *status == "Enabled" ? object::VersioningState::kEnabled
                                                            : object::VersioningState::kSuspended;
  bool locked = false;
  Status st = ctx.layer.update_bucket_metadata(
      ctx.request_ctx, ctx.res.bucket, [&](object::BucketMetadata& meta) -> Status {
        if (meta.object_lock_enabled && want != object::VersioningState::kEnabled) {
          locked = true;
          return Status(Code::kInvalidRequest, "object lock");
        }
        meta.versioning = want;
        return Status::Ok();
      });
  if (locked) {
    return ApiError(ErrorId::kInvalidBucketState,
                    "An Object Lock configuration is present on this bucket, so the versioning "
                    "state cannot be changed.");
  }
  FS_S3_RETURN_IF_ERROR(st);
  return SendEmpty(ctx, 200);
}

}  // namespace flashstor::s3
