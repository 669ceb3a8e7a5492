// GetObjectAttributes (GET /bucket/key?attributes): the attributes x-amz-object-attributes
// names, the part list paged by x-amz-max-parts / x-amz-part-number-marker, and versionId.
#include <string>

#include "flashstor/s3/headers.h"
#include "flashstor/s3/xml_reader.h"
#include "flashstor/s3/xml_writer.h"
#include "op_context.h"
#include "sse_request.h"

namespace flashstor::s3 {
namespace {

constexpr int kMaxPartsPage = 1000;

ApiError AddAttribute(std::string_view name, ObjectAttributesParams& p) {
  if (name == "ETag") {
    p.etag = true;
  } else if (name == "Checksum") {
    p.checksum = true;
  } else if (name == "ObjectParts") {
    p.parts = true;
  } else if (name == "StorageClass") {
    p.storage_class = true;
  } else if (name == "ObjectSize") {
    p.size = true;
  } else {
    return ApiError(Code::kInvalidArgument, "Invalid attribute name specified.");
  }
  return {};
}

// Every x-amz-object-attributes header, each a comma-separated list of names.
ApiError ReadAttributeNames(const http::Request& req, ObjectAttributesParams& p) {
  bool any = false;
  for (const http::Header& h : req.headers) {
    if (!IEquals(h.name, "x-amz-object-attributes")) continue;
    std::string_view list = h.value;
    while (true) {
      const size_t comma = list.find(',');
      std::string_view name = Trim(list.substr(0, comma));
      if (!name.empty()) {
        FS_S3_RETURN_IF_ERROR(AddAttribute(name, p));
        any = true;
      }
      if (comma == std::string_view::npos) break;
      list.remove_prefix(comma + 1);
    }
  }
  if (!any) {
    return ApiError(Code::kInvalidRequest,
                    "The x-amz-object-attributes header specifying the attributes to be "
                    "retrieved is either missing or empty");
  }
  return {};
}

// An optional non-negative integer header; AWS's InvalidArgument names the argument.
ApiError ReadHeaderCount(const OpContext& ctx, std::string_view header, std::string_view message,
                         int max_clamp, int& out) {
  if (!ctx.req.has_header(header)) return {};
  std::optional<int64_t> n = ParseDecimal(ctx.header(header), INT32_MAX);
  if (!n) return ApiError(Code::kInvalidArgument, message);
  out = static_cast<int>(std::min<int64_t>(*n, max_clamp));
  return {};
}

}  // namespace

ApiError GetObjectAttributes(OpContext& ctx) {
  ObjectAttributesParams p;
  p.max_parts = kMaxPartsPage;
  FS_S3_RETURN_IF_ERROR(ReadAttributeNames(ctx.req, p));
  FS_S3_RETURN_IF_ERROR(ReadHeaderCount(
      ctx, "x-amz-max-parts", "Argument max-parts must be an integer between 0 and 2147483647",
      kMaxPartsPage, p.max_parts));
  FS_S3_RETURN_IF_ERROR(
      ReadHeaderCount(ctx, "x-amz-part-number-marker",
                      "Argument part-number-marker must be an integer between 0 and 2147483647",
                      kMaxParts, p.part_number_marker));
  std::string_view version = ctx.param_value("versionId");
  Result<object::ObjectInfo> info =
      ctx.layer.get_object_info(ctx.request_ctx, ctx.res.bucket, ctx.res.key, version);
  if (!info) return DeleteMarkerAnswer(ctx, info.error(), version);
  if (info->delete_marker) return DeleteMarkerAnswer(ctx, Code::kNoSuchVersion, version);
  // An SSE-C object's attributes need its key, as its GET and HEAD do (AWS).
  std::optional<sse::ReadSse> sse_key;
  FS_S3_RETURN_IF_ERROR(sse::PrepareRead(ctx, *info, sse_key));
  AddVersionIdHeader(ctx, info->version_id);
  ctx.response().add_header("Last-Modified", FormatHttpDate(info->mod_time_ns));
  return SendXml(ctx, 200, ObjectAttributesXml(p, *info));
}

}  // namespace flashstor::s3
