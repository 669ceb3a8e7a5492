// Multipart uploads: CreateMultipartUpload, UploadPart, UploadPartCopy,
// CompleteMultipartUpload, AbortMultipartUpload, ListParts, ListMultipartUploads.
#include <map>
#include <memory>
#include <string>

#include "flashstor/s3/headers.h"
#include "flashstor/s3/xml_reader.h"
#include "flashstor/s3/xml_writer.h"
#include "op_context.h"
#include "sse_multipart.h"

namespace flashstor::s3 {
namespace {

constexpr int kMaxListEntries = 1000;

ApiError ReadPartNumber(const OpContext& ctx, int& out) {
  std::optional<int64_t> n = ParseDecimal(ctx.param_value("partNumber"), kMaxParts);
  if (!n || *n < 1) {
    return ApiError(Code::kInvalidArgument,
                    "Part number must be an integer between 1 and 10000, inclusive");
  }
  out = static_cast<int>(*n);
  return {};
}

// Optional non-negative integer query parameter, clamped to max_clamp.
ApiError ReadCount(const OpContext& ctx, std::string_view name, int def, int max_clamp, int& out) {
  out = def;
  const http::QueryParam* p = ctx.param(name);
  if (p == nullptr) return {};
  std::optional<int64_t> n = ParseDecimal(p->value, INT32_MAX);
  if (!n) return ApiError(Code::kInvalidArgument, "Argument must be a non-negative integer");
  out = static_cast<int>(std::min<int64_t>(*n, max_clamp));
  return {};
}

// x-amz-checksum-type of CreateMultipartUpload, with AWS's pairs: FULL_OBJECT for the CRCs
// (CRC64NVME's only type, and its default), COMPOSITE for CRC32, CRC32C, SHA1, SHA256.
ApiError ReadChecksumType(const OpContext& ctx, hash::ChecksumAlgo algo, bool& full_object) {
  std::string_view type = ctx.header("x-amz-checksum-type");
  full_object = algo == hash::ChecksumAlgo::kCrc64Nvme;
  if (type.empty()) return {};
  if (algo == hash::ChecksumAlgo::kNone) {
    return ApiError(Code::kInvalidRequest,
                    "The x-amz-checksum-type header can only be used with the "
                    "x-amz-checksum-algorithm header.");
  }
  if (IEquals(type, "FULL_OBJECT")) {
    full_object = true;
  } else if (IEquals(type, "COMPOSITE")) {
    full_object = false;
  } else {
    return ApiError(Code::kInvalidRequest, "Value for x-amz-checksum-type header is invalid.");
  }
  if (full_object && !hash::CombinableChecksum(algo)) {
    return ApiError(Code::kInvalidRequest,
                    "The FULL_OBJECT checksum type cannot be used with this checksum algorithm.");
  }
  if (!full_object && algo == hash::ChecksumAlgo::kCrc64Nvme) {
    return ApiError(Code::kInvalidRequest,
                    "The COMPOSITE checksum type cannot be used with the crc64nvme checksum "
                    "algorithm.");
  }
  return {};
}

// The whole-object checksum a Complete may carry (x-amz-checksum-<algo>), checked against
// the CRC combined from the listed parts before anything is committed. Only FULL_OBJECT
// values (no "-N") are checked; kChecksumMismatch (BadDigest) when they differ.
ApiError CheckFullObjectChecksum(OpContext& ctx, const std::vector<object::CompletePart>& want) {
  for (hash::ChecksumAlgo algo :
       {hash::ChecksumAlgo::kCrc32, hash::ChecksumAlgo::kCrc32c, hash::ChecksumAlgo::kCrc64Nvme}) {
    std::string_view sent = ctx.header(hash::ChecksumHeader(algo));
    if (sent.empty() || sent.find('-') != std::string_view::npos) continue;
    std::map<int, object::PartInfo> have;
    for (int marker = 0;;) {
      Result<object::ListPartsResult> page =
          ctx.layer.list_parts(ctx.request_ctx, ctx.res.bucket, ctx.res.key,
                               ctx.param_value("uploadId"), marker, kMaxListEntries);
      if (!page) return page.error();
      for (object::PartInfo& p : page->parts) have[p.number] = std::move(p);
      if (!page->truncated) break;
      marker = page->next_part_number_marker;
    }
    std::string whole;
    for (const object::CompletePart& part : want) {
      auto it = have.find(part.number);
      std::optional<std::string> raw;
      if (it != have.end()) raw = hash::Base64Decode(it->second.checksum_b64);
      if (!raw || raw->empty()) return Code::kInvalidPart;  // Complete would refuse it too
      std::optional<std::string> combined =
          hash::CombineChecksums(algo, whole, *raw, it->second.size);
      if (!combined) return Code::kInvalidPart;
      whole = std::move(*combined);
    }
    std::string b64 =
        hash::Base64Encode({reinterpret_cast<const unsigned char*>(whole.data()), whole.size()});
    if (b64 != sent) return Code::kChecksumMismatch;
  }
  return {};
}

std::string Location(const OpContext& ctx) {
  std::string loc = ctx.ex.secure() ? "https://" : "http://";
  loc.append(ctx.req.host);
  loc.push_back('/');
  if (!ctx.res.virtual_host) {
    loc.append(ctx.res.bucket);
    loc.push_back('/');
  }
  http::UriEncode(ctx.res.key, /*encode_slash=*/false, loc);
  return loc;
}

}  // namespace

ApiError CreateMultipartUpload(OpContext& ctx) {
  object::PutOptions options;
  FS_S3_RETURN_IF_ERROR(CollectPutOptions(ctx.req, options));
  sse::WriteSse sse;
  FS_S3_RETURN_IF_ERROR(sse::PrepareUpload(ctx, sse, options));
  FS_S3_RETURN_IF_ERROR(ReadTaggingHeader(ctx, options.tags));
  FS_S3_RETURN_IF_ERROR(NewVersionLock(ctx, /*digest_required=*/false, options.lock));
  hash::ChecksumAlgo algo = hash::ChecksumAlgo::kNone;
  std::string_view name = ctx.header("x-amz-checksum-algorithm");
  if (name.empty()) name = ctx.header("x-amz-sdk-checksum-algorithm");
  if (!name.empty()) {
    std::optional<hash::ChecksumAlgo> a = hash::ParseChecksumAlgo(name);
    if (!a) {
      return ApiError(Code::kInvalidRequest, "Value for x-amz-checksum-algorithm is invalid.");
    }
    algo = *a;
  }
  FS_S3_RETURN_IF_ERROR(ReadChecksumType(ctx, algo, options.full_object_checksum));
  Result<std::string> id =
      ctx.layer.new_multipart_upload(ctx.request_ctx, ctx.res.bucket, ctx.res.key, options, algo);
  if (!id) return id.error();
  sse::AddWriteHeaders(ctx, sse);
  if (algo != hash::ChecksumAlgo::kNone) {
    ctx.response().add_header("x-amz-checksum-algorithm", hash::ChecksumAlgoName(algo));
    ctx.response().add_header("x-amz-checksum-type",
                              options.full_object_checksum ? "FULL_OBJECT" : "COMPOSITE");
  }
  return SendXml(ctx, 200, InitiateMultipartUploadXml(ctx.res.bucket, ctx.res.key, *id));
}

ApiError UploadPart(OpContext& ctx) {
  int part = 0;
  FS_S3_RETURN_IF_ERROR(ReadPartNumber(ctx, part));
  if (ctx.body_length < 0 && !ctx.req.chunked) return Code::kMissingContentLength;
  if (ctx.body_length > static_cast<int64_t>(kMaxSinglePutSize)) return Code::kEntityTooLarge;
  hash::Expectations expect;
  FS_S3_RETURN_IF_ERROR(BuildPutExpectations(ctx, expect));
  std::optional<sse::ReadSse> sse;
  FS_S3_RETURN_IF_ERROR(sse::PreparePart(ctx, sse));
  LimitedSource limited(ctx.body, kMaxSinglePutSize);
  hash::HashingSource body(limited, std::move(expect));
  Result<object::PartInfo> info = sse::PutPartData(ctx, sse, part, body, ctx.body_length);
  if (!info) return info.error();
  sse::AddPartHeaders(ctx, sse);
  ctx.response().add_header("ETag", QuoteEtag(info->etag));
  AddChecksumHeader(ctx, body.checksum_algo(), body.checksum_b64());
  return SendEmpty(ctx, 200);
}

ApiError UploadPartCopy(OpContext& ctx) {
  int part = 0;
  FS_S3_RETURN_IF_ERROR(ReadPartNumber(ctx, part));
  std::optional<sse::ReadSse> sse;  // the destination upload's
  FS_S3_RETURN_IF_ERROR(sse::PreparePart(ctx, sse));
  std::unique_ptr<object::ObjectReader> reader;
  FS_S3_RETURN_IF_ERROR(OpenCopySource(ctx, reader));
  const uint64_t size = reader->info().size;
  uint64_t length = size;
  if (std::string_view r = ctx.header("x-amz-copy-source-range"); !r.empty()) {
    Result<ByteRange> range = ParseCopySourceRange(r, size);
    if (!range) return range.error();
    reader->set_range(range->offset, range->length);
    length = range->length;
  }
  if (length > kMaxSinglePutSize) return Code::kEntityTooLarge;
  hash::HashingSource body(*reader, hash::Expectations{});
  Result<object::PartInfo> info =
      sse::PutPartData(ctx, sse, part, body, static_cast<int64_t>(length));
  if (!info) return info.error();
  sse::AddPartHeaders(ctx, sse);
  return SendXml(ctx, 200, CopyResultXml(info->etag, info->mod_time_ns, /*part=*/true));
}

ApiError CompleteMultipartUpload(OpContext& ctx) {
  hash::HashingSource body(ctx.body, ctx.base_expect);
  std::string xml;
  FS_S3_RETURN_IF_ERROR(ReadBoundedBody(body, kMaxCompleteBodyBytes, xml));
  Result<std::vector<object::CompletePart>> parts = ParseCompleteMultipartUpload(xml);
  if (!parts) return parts.error();
  object::WritePrecondition precondition;
  FS_S3_RETURN_IF_ERROR(ReadWritePrecondition(ctx.req, /*allow_if_none_match=*/true, precondition));
  FS_S3_RETURN_IF_ERROR(sse::CheckCompleteSse(ctx));
  FS_S3_RETURN_IF_ERROR(CheckFullObjectChecksum(ctx, *parts));
  Result<object::ObjectInfo> info =
      ctx.layer.complete_multipart_upload(ctx.request_ctx, ctx.res.bucket, ctx.res.key,
                                          ctx.param_value("uploadId"), *parts, precondition);
  if (!info) return info.error();
  AddChecksumHeader(ctx, info->checksum_algo, info->checksum_b64);
  AddVersionIdHeader(ctx, info->version_id);
  sse::AddReadHeaders(ctx, *info);
  PublishObjectEvent(ctx, "ObjectCreated:CompleteMultipartUpload", ctx.res.key, &*info,
                     info->version_id);
  return SendXml(ctx, 200,
                 CompleteMultipartUploadXml(Location(ctx), ctx.res.bucket, ctx.res.key, *info));
}

ApiError AbortMultipartUpload(OpContext& ctx) {
  FS_S3_RETURN_IF_ERROR(ctx.layer.abort_multipart_upload(ctx.request_ctx, ctx.res.bucket,
                                                         ctx.res.key, ctx.param_value("uploadId")));
  return SendEmpty(ctx, 204);
}

ApiError ListParts(OpContext& ctx) {
  ListPartsParams p{ctx.res.bucket, ctx.res.key, ctx.param_value("uploadId")};
  FS_S3_RETURN_IF_ERROR(ReadCount(ctx, "max-parts", kMaxListEntries, kMaxListEntries, p.max_parts));
  FS_S3_RETURN_IF_ERROR(ReadCount(ctx, "part-number-marker", 0, kMaxParts, p.part_number_marker));
  Result<object::ListPartsResult> r = ctx.layer.list_parts(
      ctx.request_ctx, ctx.res.bucket, ctx.res.key, p.upload_id, p.part_number_marker, p.max_parts);
  if (!r) return r.error();
  return SendXml(ctx, 200, ListPartsXml(p, *r, ctx.owner()));
}

ApiError ListMultipartUploads(OpContext& ctx) {
  ListUploadsParams p;
  p.bucket = ctx.res.bucket;
  p.prefix = ctx.param_value("prefix");
  p.delimiter = ctx.param_value("delimiter");
  p.key_marker = ctx.param_value("key-marker");
  p.upload_id_marker = ctx.param_value("upload-id-marker");
  FS_S3_RETURN_IF_ERROR(
      ReadCount(ctx, "max-uploads", kMaxListEntries, kMaxListEntries, p.max_uploads));
  if (const http::QueryParam* e = ctx.param("encoding-type"); e != nullptr) {
    if (!IEquals(e->value, "url")) {
      return ApiError(Code::kInvalidArgument, "Invalid Encoding Method specified in Request");
    }
    p.url_encode = true;
  }
  object::ListUploadsOptions options{std::string(p.prefix), std::string(p.delimiter),
                                     std::string(p.key_marker), std::string(p.upload_id_marker),
                                     p.max_uploads};
  Result<object::ListUploadsResult> r =
      ctx.layer.list_multipart_uploads(ctx.request_ctx, ctx.res.bucket, options);
  if (!r) return r.error();
  return SendXml(ctx, 200, ListMultipartUploadsXml(p, *r, ctx.owner()));
}

}  // namespace flashstor::s3
