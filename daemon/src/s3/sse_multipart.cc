// The upload's SSE record (read with the upload), the SSE-C key check of its parts and the
// sealing of one part: packages numbered from 0 in each part, the part number in nonce and AAD.
#include "sse_multipart.h"

#include "flashstor/s3/headers.h"
#include "flashstor/s3/xml_reader.h"
#include "sse_request.h"

namespace flashstor::s3::sse {
namespace {

bool HasCustomerHeaders(const OpContext& ctx) {
  return ctx.req.has_header(kHeaderCAlgo) || ctx.req.has_header(kHeaderCKey) ||
         ctx.req.has_header(kHeaderCMd5);
}

// The upload's stored metadata (its SSE record among it). A ListParts past the last part
// number reads the upload record and no part record.
Result<object::Metadata> UploadMetadata(OpContext& ctx) {
  Result<object::ListPartsResult> r = ctx.layer.list_parts(
      ctx.request_ctx, ctx.res.bucket, ctx.res.key, ctx.param_value("uploadId"), kMaxParts, 0);
  if (!r) return std::unexpected(r.error());
  return std::move(r->upload.metadata);
}

}  // namespace

ApiError PrepareUpload(OpContext& ctx, WriteSse& sse, object::PutOptions& options) {
  FS_S3_RETURN_IF_ERROR(PrepareWrite(ctx, sse));
  std::erase_if(options.metadata, [](const auto& m) { return IsInternalMeta(m.first); });
  for (auto& m : sse.internal) options.metadata.push_back(std::move(m));
  sse.internal.clear();
  return {};
}

ApiError PreparePart(OpContext& ctx, std::optional<ReadSse>& out) {
  Result<object::Metadata> meta = UploadMetadata(ctx);
  if (!meta) return meta.error();
  if (ModeIn(*meta) == Mode::kCustomer && !HasCustomerHeaders(ctx)) {
    return ApiError(Code::kInvalidRequest,
                    "The multipart upload initiate requested encryption. Subsequent part "
                    "requests must include the appropriate encryption parameters.");
  }
  return UnsealDataKey(ctx, *meta, ctx.res.bucket, ctx.res.key, out);
}

ApiError CheckCompleteSse(OpContext& ctx) {
  if (!HasCustomerHeaders(ctx)) return {};
  std::optional<ReadSse> checked;
  return PreparePart(ctx, checked);
}

Result<object::PartInfo> PutPartData(OpContext& ctx, std::optional<ReadSse>& sse, int part,
                                     hash::HashingSource& body, int64_t size) {
  const std::string_view upload_id = ctx.param_value("uploadId");
  if (!sse) {
    return ctx.layer.put_object_part(ctx.request_ctx, ctx.res.bucket, ctx.res.key, upload_id, part,
                                     body, size);
  }
  sse->binding.part = static_cast<uint32_t>(part);
  EncryptingSource sealed(body, sse->data_key, sse->binding);
  hash::HashingSource stored(sealed, {});
  object::PartOptions options;
  options.plaintext = &body;
  // AWS: an SSE-S3 part's ETag is the MD5 of its plaintext; an SSE-C part's is not.
  options.etag_from_plaintext = sse->mode == Mode::kS3;
  const int64_t stored_size =
      size < 0 ? -1 : static_cast<int64_t>(CipherSize(static_cast<uint64_t>(size)));
  return ctx.layer.put_object_part(ctx.request_ctx, ctx.res.bucket, ctx.res.key, upload_id, part,
                                   stored, stored_size, options);
}

void AddPartHeaders(OpContext& ctx, const std::optional<ReadSse>& sse) {
  if (!sse) return;
  http::ResponseWriter& resp = ctx.response();
  if (sse->mode == Mode::kS3) resp.add_header("x-amz-server-side-encryption", "AES256");
  if (sse->mode == Mode::kCustomer) {
    resp.add_header(kHeaderCAlgo, "AES256");
    resp.add_header(kHeaderCMd5, ctx.header(kHeaderCMd5));
  }
}

}  // namespace flashstor::s3::sse
