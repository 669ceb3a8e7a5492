// CopyObject and the copy-source handling UploadPartCopy shares: x-amz-copy-source parsing,
// the source's own authorisation (s3:GetObject), x-amz-copy-source-if-* conditions, metadata
// directive, copy onto itself.
#include <memory>
#include <string>

#include "flashstor/s3/headers.h"
#include "flashstor/s3/xml_writer.h"
#include "op_context.h"
#include "sse_request.h"

namespace flashstor::s3 {
namespace {

constexpr std::string_view kIllegalSelfCopy =
    "This copy request is illegal because it is trying to copy an object to itself without "
    "changing the object's metadata, storage class, website redirect location or encryption "
    "attributes.";

// "[/]bucket/key[?versionId=<id>]", percent-encoded; the decoded views live in the arena.
ApiError ParseCopySource(OpContext& ctx, std::string_view& bucket, std::string_view& key,
                         std::string_view& version) {
  std::string_view src = ctx.header("x-amz-copy-source");
  version = {};
  if (size_t q = src.find('?'); q != std::string_view::npos) {
    std::string_view qs = src.substr(q + 1);
    if (!qs.starts_with("versionId=")) {
      return ApiError(Code::kInvalidArgument, "Invalid copy source: unknown query parameter");
    }
    version = qs.substr(10);
    if (version.empty()) {
      return ApiError(Code::kInvalidArgument, "Version id cannot be the empty string");
    }
    src = src.substr(0, q);
  }
  Result<std::string_view> decoded = http::PercentDecode(src, ctx.ex.arena());
  if (!decoded) return ApiError(Code::kInvalidArgument, "Invalid copy source encoding.");
  std::string_view path = *decoded;
  if (path.starts_with('/')) path.remove_prefix(1);
  size_t slash = path.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 == path.size()) {
    return ApiError(Code::kInvalidArgument,
                    "Copy Source must mention the source bucket and key: sourcebucket/sourcekey");
  }
  bucket = path.substr(0, slash);
  key = path.substr(slash + 1);
  if (key.size() > kMaxKeyLength) return Code::kKeyTooLong;
  return {};
}

}  // namespace

ApiError OpenCopySource(OpContext& ctx, std::unique_ptr<object::ObjectReader>& out) {
  std::string_view bucket, key, version;
  FS_S3_RETURN_IF_ERROR(ParseCopySource(ctx, bucket, key, version));
  // Reading the source is its own permission, on the source's ARN (and bucket policy).
  FS_S3_RETURN_IF_ERROR(
      AuthorizeInOperation(ctx, {.action = version.empty() ? "s3:GetObject" : "s3:GetObjectVersion",
                                 .bucket = bucket,
                                 .key = key,
                                 .version_id = version}));
  Result<std::unique_ptr<object::ObjectReader>> reader =
      ctx.layer.open_object(ctx.request_ctx, bucket, key, version);
  if (!reader) {
    // AWS: a delete marker as the copy source is 400 InvalidRequest (by version id) or the
    // key is missing (current version).
    if (reader.error() == Code::kNoSuchVersion && !version.empty()) {
      auto marker = ctx.layer.get_object_info(ctx.request_ctx, bucket, key, version, true);
      if (marker && marker->delete_marker) {
        return ApiError(Code::kInvalidRequest,
                        "The source of a copy request may not specifically refer to a delete "
                        "marker by version id.");
      }
    }
    return reader.error();
  }
  if (!version.empty()) {
    ctx.response().add_header("x-amz-copy-source-version-id", version);
  }
  const object::ObjectInfo& info = (*reader)->info();
  Code cond = EvaluateConditions(ReadCopySourceConditions(ctx.req), info.etag, info.mod_time_ns,
                                 /*copy=*/true);
  if (cond != Code::kOk) return cond;
  out = std::move(*reader);
  // The copy moves the source's bytes within this request: its writes get the time a client
  // at the minimum rate would take for them, as an upload's body does.
  ctx.request_ctx.deadline = ctx.request_ctx.deadline_after(out->info().size);
  FS_S3_RETURN_IF_ERROR(sse::OpenCopySourceSse(ctx, out));
  return {};
}

ApiError CopyObject(OpContext& ctx) {
  std::unique_ptr<object::ObjectReader> reader;
  FS_S3_RETURN_IF_ERROR(OpenCopySource(ctx, reader));
  const object::ObjectInfo& src = reader->info();
  std::string_view directive = ctx.header("x-amz-metadata-directive");
  if (!directive.empty() && directive != "COPY" && directive != "REPLACE") {
    return ApiError(Code::kInvalidArgument, "Unknown metadata directive.");
  }
  const bool replace = directive == "REPLACE";
  std::string_view tagging_directive = ctx.header("x-amz-tagging-directive");
  if (!tagging_directive.empty() && tagging_directive != "COPY" && tagging_directive != "REPLACE") {
    return ApiError(Code::kInvalidArgument, "Unknown tagging directive.");
  }
  const bool replace_tags = tagging_directive == "REPLACE";
  // Onto itself: the current version's metadata is rewritten in place, unless the bucket
  // keeps versions (then the copy is a new version, as AWS makes it).
  const bool self = src.bucket == ctx.res.bucket && src.key == ctx.res.key;
  sse::WriteSse sse;
  FS_S3_RETURN_IF_ERROR(sse::PrepareWrite(ctx, sse));
  // Encrypted source or destination: the data is rewritten, never updated in place.
  const bool self_in_place = self && src.is_latest && !VersioningConfigured(ctx) &&
                             sse.mode == sse::Mode::kNone && sse::ModeOf(src) == sse::Mode::kNone;
  const bool sse_requested = ctx.req.has_header("x-amz-server-side-encryption") ||
                             ctx.req.has_header("x-amz-server-side-encryption-customer-key");
  // Copying a version named by id over its key restores it (AWS's documented way).
  const bool named_version =
      ctx.header("x-amz-copy-source").find("?versionId=") != std::string_view::npos;
  if (self && !replace && !replace_tags && !ctx.req.has_header("x-amz-storage-class") &&
      !sse_requested && !(named_version && VersioningConfigured(ctx))) {
    return ApiError(Code::kInvalidRequest, kIllegalSelfCopy);
  }
  if (src.size > kMaxSinglePutSize) {
    return ApiError(Code::kInvalidRequest,
                    "The specified copy source is larger than the maximum allowable size for a "
                    "copy source: 5368709120");
  }
  object::PutOptions options;
  if (replace) {
    FS_S3_RETURN_IF_ERROR(CollectPutOptions(ctx.req, options));
  } else {
    options.content_type = src.content_type;
    options.metadata = src.metadata;
    options.storage_class = src.storage_class;
    std::string_view sc = ctx.header("x-amz-storage-class");
    if (!sc.empty()) {
      if (sc != "STANDARD" && sc != "REDUCED_REDUNDANCY") return ErrorId::kInvalidStorageClass;
      options.storage_class = std::string(sc);
    }
  }
  // COPY (the default) takes the source's tags, and AWS then ignores x-amz-tagging.
  if (replace_tags) {
    FS_S3_RETURN_IF_ERROR(ReadTaggingHeader(ctx, options.tags));
  } else {
    options.tags = src.tags;
  }
  // The copy is a new version: its lock comes from this request, never from the source.
  FS_S3_RETURN_IF_ERROR(NewVersionLock(ctx, /*digest_required=*/false, options.lock));
  FS_S3_RETURN_IF_ERROR(
      ReadWritePrecondition(ctx.req, /*allow_if_none_match=*/true, options.precondition));
  Result<object::ObjectInfo> info;
  if (self_in_place) {
    reader.reset();  // drops the source's read lock: the update takes the key's write lock
    info = ctx.layer.update_object_metadata(ctx.request_ctx, ctx.res.bucket, ctx.res.key, options);
  } else {
    hash::Expectations expect;
    expect.checksum_algo = src.checksum_algo;  // keep the source's checksum kind
    hash::HashingSource body(*reader, std::move(expect));
    info = sse::PutObjectData(ctx, sse, body, static_cast<int64_t>(src.size), options);
  }
  if (!info) return info.error();
  sse::AddWriteHeaders(ctx, sse);
  AddChecksumHeader(ctx, info->checksum_algo, info->checksum_b64);
  AddVersionIdHeader(ctx, info->version_id);
  PublishObjectEvent(ctx, "ObjectCreated:Copy", ctx.res.key, &*info, info->version_id);
  return SendXml(ctx, 200, CopyResultXml(info->etag, info->mod_time_ns, /*part=*/false));
}

}  // namespace flashstor::s3
