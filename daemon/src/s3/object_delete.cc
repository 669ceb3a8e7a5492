// DeleteObject (204 whether or not the key existed) and DeleteObjects (POST ?delete: up to
// 1,000 keys, Quiet mode, each key authorised on its own, per-key errors in the DeleteResult).
#include <string>
#include <vector>

#include "flashstor/s3/headers.h"
#include "flashstor/s3/xml_reader.h"
#include "flashstor/s3/xml_writer.h"
#include "op_context.h"

namespace flashstor::s3 {
namespace {

// AWS authorises each key of a multi-object delete on its own ARN: s3:DeleteObject, or
// s3:DeleteObjectVersion for a version id, and s3:BypassGovernanceRetention when asked to
// bypass; a refused key is an AccessDenied entry of the result.
Result<object::DeleteResult> AuthorizeKey(OpContext& ctx, const DeleteRequest::Entry& entry,
                                          bool bypass) {
  const std::string_view action =
      entry.version_id.empty() ? "s3:DeleteObject" : "s3:DeleteObjectVersion";
  OpAuthz what{
      .action = action, .bucket = ctx.res.bucket, .key = entry.key, .version_id = entry.version_id};
  if (ApiError e = AuthorizeInOperation(ctx, what); !e.ok()) return Err(Code::kAccessDenied);
  if (bypass) {
    what.action = "s3:BypassGovernanceRetention";
    if (ApiError e = AuthorizeInOperation(ctx, what); !e.ok()) return Err(Code::kAccessDenied);
  }
  return object::DeleteResult{};
}

}  // namespace

ApiError DeleteObject(OpContext& ctx) {
  if (ctx.req.has_header("x-amz-mfa")) {
    return ApiError(Code::kNotImplemented, "MFA delete is not implemented.");
  }
  const http::QueryParam* version = ctx.param("versionId");
  if (version != nullptr && version->value.empty()) {
    return ApiError(Code::kInvalidArgument, "Version id cannot be the empty string");
  }
  object::DeleteOptions options;
  FS_S3_RETURN_IF_ERROR(
      ReadWritePrecondition(ctx.req, /*allow_if_none_match=*/false, options.precondition));
  if (version != nullptr) options.version_id = std::string(version->value);
  options.bypass_governance = BypassGovernance(ctx.req);
  Result<object::DeleteResult> done =
      ctx.layer.delete_object_version(ctx.request_ctx, ctx.res.bucket, ctx.res.key, options);
  if (!done) return done.error();
  if (done->delete_marker) ctx.response().add_header("x-amz-delete-marker", "true");
  AddVersionIdHeader(ctx, done->version_id);
  PublishObjectEvent(ctx,
                     done->delete_marker && version == nullptr ? "ObjectRemoved:DeleteMarkerCreated"
                                                               : "ObjectRemoved:Delete",
                     ctx.res.key, nullptr, done->version_id);
  return SendEmpty(ctx, 204);
}

ApiError DeleteObjects(OpContext& ctx) {
  Result<object::BucketInfo> bucket = ctx.layer.get_bucket_info(ctx.request_ctx, ctx.res.bucket);
  if (!bucket) return bucket.error();
  // Content-MD5 (or an x-amz-checksum-*) is checked when sent; like MinIO, not required.
  hash::Expectations expect;
  FS_S3_RETURN_IF_ERROR(BuildPutExpectations(ctx, expect));
  hash::HashingSource body(ctx.body, std::move(expect));
  std::string xml;
  FS_S3_RETURN_IF_ERROR(ReadBoundedBody(body, kMaxDeleteBodyBytes, xml));
  Result<DeleteRequest> request = ParseDeleteObjects(xml);
  if (!request) return request.error();

  std::vector<DeleteOutcome> outcomes;
  outcomes.reserve(request->objects.size());
  for (DeleteRequest::Entry& entry : request->objects) {
    DeleteOutcome out;
    object::DeleteOptions options;
    // <ETag> in the entry: a conditional delete of that key (If-Match).
    options.precondition.if_match = std::move(entry.etag);
    options.version_id = entry.version_id;
    options.bypass_governance = BypassGovernance(ctx.req);
    Result<object::DeleteResult> done = AuthorizeKey(ctx, entry, options.bypass_governance);
    if (done)
      done = ctx.layer.delete_object_version(ctx.request_ctx, ctx.res.bucket, entry.key, options);
    if (!done) {
      out.error = done.error();
    } else {
      const bool marker_created = done->delete_marker && entry.version_id.empty();
      if (done->delete_marker) {
        out.delete_marker = true;
        out.delete_marker_version_id = done->version_id;
      }
      PublishObjectEvent(
          ctx, marker_created ? "ObjectRemoved:DeleteMarkerCreated" : "ObjectRemoved:Delete",
          entry.key, nullptr, done->version_id);
    }
    out.key = std::move(entry.key);
    out.version_id = std::move(entry.version_id);
    outcomes.push_back(std::move(out));
  }
  return SendXml(ctx, 200, DeleteResultXml(outcomes, request->quiet));
}

}  // namespace flashstor::s3
