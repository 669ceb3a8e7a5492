// PutObject and the body expectations it shares with UploadPart: Content-MD5, SHA-256,
// x-amz-checksum-* headers, x-amz-sdk-checksum-algorithm and aws-chunked trailers.
#include <string>

#include "flashstor/s3/headers.h"
#include "op_context.h"
#include "sse_request.h"

namespace flashstor::s3 {
namespace {

constexpr std::string_view kChecksumPrefix = "x-amz-checksum-";

}  // namespace

ApiError BuildPutExpectations(const OpContext& ctx, hash::Expectations& out) {
  out = ctx.base_expect;
  Result<std::optional<std::array<unsigned char, 16>>> md5 =
      ParseContentMd5(ctx.header("content-md5"));
  if (!md5) return md5.error();
  out.content_md5 = *md5;

  // At most one x-amz-checksum-<algo> header (other x-amz-checksum-* names such as -mode
  // and -type are not values).
  int values = 0;
  for (const http::Header& h : ctx.req.headers) {
    if (h.name.size() <= kChecksumPrefix.size() ||
        !IEquals(h.name.substr(0, kChecksumPrefix.size()), kChecksumPrefix)) {
      continue;
    }
    std::optional<hash::ChecksumAlgo> algo =
        hash::ParseChecksumAlgo(h.name.substr(kChecksumPrefix.size()));
    if (!algo) continue;
    if (++values > 1 || out.late_checksum_b64 != nullptr) {
      return ApiError(Code::kInvalidRequest, "Expecting a single x-amz-checksum- header.");
    }
    out.checksum_algo = *algo;
    out.checksum_b64 = std::string(h.value);
  }
  std::string_view sdk = ctx.header("x-amz-sdk-checksum-algorithm");
  if (!sdk.empty()) {
    std::optional<hash::ChecksumAlgo> algo = hash::ParseChecksumAlgo(sdk);
    if (!algo) {
      return ApiError(Code::kInvalidRequest,
                      "Value for x-amz-sdk-checksum-algorithm header is invalid.");
    }
    if (out.checksum_algo != hash::ChecksumAlgo::kNone && out.checksum_algo != *algo) {
      return ApiError(Code::kInvalidRequest,
                      "x-amz-sdk-checksum-algorithm does not match the checksum sent.");
    }
    out.checksum_algo = *algo;
  }
  return {};
}

ApiError PutObject(OpContext& ctx) {
  // Content-Length is required unless the body carries its own framing (chunked or
  // aws-chunked with x-amz-decoded-content-length, already checked).
  if (ctx.body_length < 0 && !ctx.req.chunked) return Code::kMissingContentLength;
  if (ctx.body_length > static_cast<int64_t>(kMaxSinglePutSize)) return Code::kEntityTooLarge;
  object::PutOptions options;
  FS_S3_RETURN_IF_ERROR(CollectPutOptions(ctx.req, options));
  FS_S3_RETURN_IF_ERROR(ReadTaggingHeader(ctx, options.tags));
  FS_S3_RETURN_IF_ERROR(NewVersionLock(ctx, /*digest_required=*/true, options.lock));
  // Checked by the object layer under the key's write lock, atomically with the commit.
  FS_S3_RETURN_IF_ERROR(
      ReadWritePrecondition(ctx.req, /*allow_if_none_match=*/true, options.precondition));
  hash::Expectations expect;
  FS_S3_RETURN_IF_ERROR(BuildPutExpectations(ctx, expect));

  sse::WriteSse sse;
  FS_S3_RETURN_IF_ERROR(sse::PrepareWrite(ctx, sse));

  LimitedSource limited(ctx.body, kMaxSinglePutSize);
  hash::HashingSource body(limited, std::move(expect));
  Result<object::ObjectInfo> info = sse::PutObjectData(ctx, sse, body, ctx.body_length, options);
  if (!info) return info.error();
  sse::AddWriteHeaders(ctx, sse);
  ctx.response().add_header("ETag", QuoteEtag(info->etag));
  AddVersionIdHeader(ctx, info->version_id);
  AddChecksumHeader(ctx, body.checksum_algo(), body.checksum_b64());
  AddExpirationHeader(ctx, *info);
  PublishObjectEvent(ctx, "ObjectCreated:Put", ctx.res.key, &*info, info->version_id);
  return SendEmpty(ctx, 200);
}

}  // namespace flashstor::s3
