// DeleteObject (204 whether or not the key existed) and DeleteObjects (POST ?delete: up to
// 1,000 keys, Quiet mode, per-key errors in the DeleteResult).
#include <string>
#include <vector>

#include "flashstor/s3/headers.h"
#include "flashstor/s3/xml_reader.h"
#include "flashstor/s3/xml_writer.h"
#include "op_context.h"

namespace flashstor::s3 {

ApiError DeleteObject(OpContext& ctx) {
  std::string_view version = ctx.param_value("versionId");
  if (!version.empty() && version != "null") return Code::kNoSuchVersion;
  object::WritePrecondition precondition;
  FS_S3_RETURN_IF_ERROR(
      ReadWritePrecondition(ctx.req, /*allow_if_none_match=*/false, precondition));
  FS_S3_RETURN_IF_ERROR(ctx.layer.delete_object(ctx.res.bucket, ctx.res.key, precondition));
  return SendEmpty(ctx, 204);
}

ApiError DeleteObjects(OpContext& ctx) {
  Result<object::BucketInfo> bucket = ctx.layer.get_bucket_info(ctx.res.bucket);
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
    if (!entry.version_id.empty() && entry.version_id != "null") {
      out.error = Code::kNoSuchVersion;
    } else {
      // <ETag> in the entry: a conditional delete of that key (If-Match).
      object::WritePrecondition precondition;
      precondition.if_match = std::move(entry.etag);
      out.error = ctx.layer.delete_object(ctx.res.bucket, entry.key, precondition);
    }
    out.key = std::move(entry.key);
    out.version_id = std::move(entry.version_id);
    outcomes.push_back(std::move(out));
  }
  return SendXml(ctx, 200, DeleteResultXml(outcomes, request->quiet));
}

}  // namespace flashstor::s3
