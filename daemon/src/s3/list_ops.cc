// ListObjects (V1), ListObjectsV2 and ListObjectVersions: query validation (max-keys,
// encoding-type, opaque continuation tokens from list_token.h) and the ObjectLayer listing.
#include <string>

#include "flashstor/s3/headers.h"
#include "flashstor/s3/xml_writer.h"
#include "list_token.h"
#include "op_context.h"

namespace flashstor::s3 {
namespace {

constexpr int kMaxListKeys = 1000;
constexpr size_t kMaxVersionIdLength = 1024;

// Common list parameters; fills options and params.
ApiError ReadListParams(const OpContext& ctx, object::ListOptions& options,
                        ListObjectsParams& params) {
  params.bucket = ctx.res.bucket;
  params.prefix = ctx.param_value("prefix");
  params.delimiter = ctx.param_value("delimiter");
  params.max_keys = kMaxListKeys;
  if (const http::QueryParam* p = ctx.param("max-keys"); p != nullptr) {
    std::optional<int64_t> n = ParseDecimal(p->value, INT64_MAX);
    if (!n || *n > INT32_MAX) {
      return ApiError(Code::kInvalidArgument,
                      "Argument maxKeys must be an integer between 0 and 2147483647");
    }
    params.max_keys = static_cast<int>(std::min<int64_t>(*n, kMaxListKeys));
  }
  if (const http::QueryParam* p = ctx.param("encoding-type"); p != nullptr) {
    if (!IEquals(p->value, "url")) {
      return ApiError(Code::kInvalidArgument, "Invalid Encoding Method specified in Request");
    }
    params.url_encode = true;
  }
  options.prefix = std::string(params.prefix);
  options.delimiter = std::string(params.delimiter);
  options.max_keys = params.max_keys;
  return {};
}

}  // namespace

ApiError ListObjectsV1(OpContext& ctx) {
  object::ListOptions options;
  ListObjectsParams params;
  FS_S3_RETURN_IF_ERROR(ReadListParams(ctx, options, params));
  params.marker = ctx.param_value("marker");
  options.start_after = std::string(params.marker);
  Result<object::ListResult> result =
      ctx.layer.list_objects(ctx.request_ctx, ctx.res.bucket, options);
  if (!result) return result.error();
  return SendXml(ctx, 200, ListObjectsV1Xml(params, *result, ctx.owner()));
}

ApiError ListObjectsV2(OpContext& ctx) {
  object::ListOptions options;
  ListObjectsParams params;
  FS_S3_RETURN_IF_ERROR(ReadListParams(ctx, options, params));
  params.start_after = ctx.param_value("start-after");
  params.fetch_owner = ctx.param_value("fetch-owner") == "true";
  options.start_after = std::string(params.start_after);
  // An empty continuation-token is no token (AWS lists from start-after, or the start).
  if (const http::QueryParam* p = ctx.param("continuation-token"); p && !p->value.empty()) {
    std::optional<std::string> marker = DecodeListToken(p->value, kMaxKeyLength);
    if (!marker) {
      return ApiError(Code::kInvalidArgument, "The continuation token provided is incorrect");
    }
    params.continuation_token = p->value;
    options.start_after = std::move(*marker);  // the token wins over start-after
  }
  Result<object::ListResult> result =
      ctx.layer.list_objects(ctx.request_ctx, ctx.res.bucket, options);
  if (!result) return result.error();
  std::string next;
  if (result->truncated) next = EncodeListToken(result->next_marker);
  params.next_continuation_token = next;
  return SendXml(ctx, 200, ListObjectsV2Xml(params, *result, ctx.owner()));
}

// Every version of each key, newest first, delete markers included; key-marker and
// version-id-marker resume a truncated page.
ApiError ListObjectVersions(OpContext& ctx) {
  object::ListOptions options;
  ListObjectsParams params;
  FS_S3_RETURN_IF_ERROR(ReadListParams(ctx, options, params));
  params.key_marker = ctx.param_value("key-marker");
  params.version_id_marker = ctx.param_value("version-id-marker");
  if (!params.version_id_marker.empty() && params.key_marker.empty()) {
    return ApiError(Code::kInvalidArgument,
                    "A version-id marker cannot be specified without a key marker.");
  }
  if (params.version_id_marker.size() > kMaxVersionIdLength) {
    return ApiError(Code::kInvalidArgument, "Invalid version id specified");
  }
  options.start_after = std::string(params.key_marker);
  options.versions = true;
  options.version_id_marker = std::string(params.version_id_marker);
  Result<object::ListResult> result =
      ctx.layer.list_objects(ctx.request_ctx, ctx.res.bucket, options);
  if (!result) return result.error();
  return SendXml(ctx, 200, ListObjectVersionsXml(params, *result, ctx.owner()));
}

}  // namespace flashstor::s3
