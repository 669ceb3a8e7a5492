// GetObject and HeadObject: conditionals, Range / partNumber, stored and overridden response
// headers, checksum mode, and streaming the object to the client without buffering it.
#include <memory>
#include <new>
#include <string>
#include <utility>
#include <vector>

#include "flashstor/mem/buffer_pool.h"
#include "flashstor/s3/headers.h"
#include "op_context.h"
#include "sse_request.h"

namespace flashstor::s3 {
namespace {

constexpr size_t kCopyBufferBytes = 256 * 1024;

// Copy buffers of GETs in flight: several requests share a loop thread (each parks while it
// waits for its disks or its client), so a buffer belongs to a request, not to a thread.
mem::BufferPool& CopyBuffers() {
  static mem::BufferPool pool(kCopyBufferBytes, 64);
  return pool;
}

// response-* query parameters and the header each one overrides.
constexpr std::pair<std::string_view, std::string_view> kOverrides[] = {
    {"response-content-type", "Content-Type"},
    {"response-content-language", "Content-Language"},
    {"response-expires", "Expires"},
    {"response-cache-control", "Cache-Control"},
    {"response-content-disposition", "Content-Disposition"},
    {"response-content-encoding", "Content-Encoding"},
};

using HeaderList = std::vector<std::pair<std::string_view, std::string_view>>;

void SetHeader(HeaderList& list, std::string_view name, std::string_view value) {
  for (auto& [n, v] : list) {
    if (IEquals(n, name)) {
      v = value;
      return;
    }
  }
  list.emplace_back(name, value);
}

// Object headers: stored metadata, then the response-* overrides of the (signed) request.
HeaderList ObjectHeaders(const OpContext& ctx, const object::ObjectInfo& info) {
  HeaderList list;
  // Both branches as views: a ternary of const char* and std::string would make a temporary.
  std::string_view type = info.content_type;
  if (type.empty()) type = "binary/octet-stream";
  list.emplace_back("Content-Type", type);
  for (const auto& [name, value] : info.metadata) {
    if (!sse::IsInternalMeta(name)) list.emplace_back(name, value);
  }
  if (!info.storage_class.empty() && info.storage_class != "STANDARD") {
    list.emplace_back("x-amz-storage-class", info.storage_class);
  }
  for (const auto& [param, header] : kOverrides) {
    const http::QueryParam* p = ctx.param(param);
    if (p != nullptr) SetHeader(list, header, p->value);
  }
  return list;
}

// The byte range a partNumber selects; kInvalidPartNumber past the last part.
ApiError PartRange(const object::ObjectInfo& info, int part, ByteRange& out) {
  if (info.parts.empty()) {
    if (part != 1) return ErrorId::kInvalidPartNumber;
    out = {ByteRange::Kind::kSatisfiable, 0, info.size};
    return {};
  }
  if (static_cast<size_t>(part) > info.parts.size()) return ErrorId::kInvalidPartNumber;
  uint64_t offset = 0;
  for (int i = 0; i < part - 1; ++i) offset += info.parts[static_cast<size_t>(i)].size;
  out = {ByteRange::Kind::kSatisfiable, offset, info.parts[static_cast<size_t>(part - 1)].size};
  return {};
}

// Bodies up to this size are gathered into one buffer, so head and body leave in one sendmsg
// (a lent body would go as one write per data shard: two sendmsg for a 4 KiB object on 4 drives).
constexpr uint64_t kCopyBelowBytes = 64 * 1024;

ApiError StreamBody(OpContext& ctx, object::ObjectReader& reader, uint64_t length) {
  if (reader.lends_buffers() && length > kCopyBelowBytes) {
    // The erasure reader's verified data shards go to the socket as they are: no copy.
    FS_S3_RETURN_IF_ERROR(ctx.response().begin(length));
    uint64_t sent = 0;
    while (sent < length) {
      Result<std::span<const char>> view = reader.lend(length - sent);
      if (!view) return view.error();
      if (view->empty()) return ApiError(Code::kInternal, "object shorter than its metadata");
      FS_S3_RETURN_IF_ERROR(ctx.response().write(*view));
      sent += view->size();
    }
    return {};
  }
  mem::BufferPool::Lease buffer = CopyBuffers().take();
  if (!buffer) throw std::bad_alloc();  // the request boundary answers 503
  FS_S3_RETURN_IF_ERROR(ctx.response().begin(length));
  uint64_t sent = 0;
  while (sent < length) {
    // Fill the buffer (or what is left of the body) before writing it: one write per buffer.
    const size_t want = static_cast<size_t>(std::min<uint64_t>(kCopyBufferBytes, length - sent));
    size_t filled = 0;
    while (filled < want) {
      Result<size_t> n = reader.read(std::span<char>(buffer.data() + filled, want - filled));
      if (!n) return n.error();
      if (*n == 0) return ApiError(Code::kInternal, "object shorter than its metadata");
      filled += *n;
    }
    FS_S3_RETURN_IF_ERROR(ctx.response().write(std::span<const char>(buffer.data(), filled)));
    sent += filled;
  }
  return {};
}

// Every header of a successful GET/HEAD (200 or 206).
void AddObjectHeaders(OpContext& ctx, const object::ObjectInfo& info, const ByteRange& range,
                      int part_number, std::string_view etag, std::string_view modified) {
  http::ResponseWriter& resp = ctx.response();
  const bool partial = range.kind == ByteRange::Kind::kSatisfiable;
  for (const auto& [name, value] : ObjectHeaders(ctx, info)) resp.add_header(name, value);
  resp.add_header("ETag", etag);
  resp.add_header("Last-Modified", modified);
  resp.add_header("Accept-Ranges", "bytes");
  if (!info.tags.empty()) resp.add_header("x-amz-tagging-count", std::to_string(info.tags.size()));
  AddExpirationHeader(ctx, info);
  sse::AddReadHeaders(ctx, info);
  if (partial) resp.add_header("Content-Range", ContentRange(range, info.size));
  if (part_number > 0) {
    resp.add_header("x-amz-mp-parts-count",
                    std::to_string(info.parts.empty() ? 1 : info.parts.size()));
  }
  if (!partial && IEquals(ctx.header("x-amz-checksum-mode"), "ENABLED")) {
    AddChecksumHeader(ctx, info.checksum_algo, info.checksum_b64);
  }
}

}  // namespace

ApiError GetObject(OpContext& ctx) {
  const bool head = ctx.req.method == http::Method::kHead;
  int part_number = 0;
  if (const http::QueryParam* p = ctx.param("partNumber"); p != nullptr) {
    std::optional<int64_t> n = ParseDecimal(p->value, 10000);
    if (!n || *n < 1) {
      return ApiError(Code::kInvalidArgument,
                      "Part number must be an integer between 1 and 10000, inclusive");
    }
    part_number = static_cast<int>(*n);
    if (ctx.req.has_header("range")) {
      return ApiError(Code::kInvalidRequest,
                      "Cannot specify both Range header and partNumber query parameter.");
    }
  }
  const http::QueryParam* version_param = ctx.param("versionId");
  const std::string_view version_id = version_param != nullptr ? version_param->value : "";
  if (version_param != nullptr && version_id.empty()) {
    return ApiError(Code::kInvalidArgument, "Version id cannot be the empty string");
  }
  std::unique_ptr<object::ObjectReader> reader;
  object::ObjectInfo head_info;
  if (head) {
    Result<object::ObjectInfo> info =
        ctx.layer.get_object_info(ctx.request_ctx, ctx.res.bucket, ctx.res.key, version_id);
    if (!info) return DeleteMarkerAnswer(ctx, info.error(), version_id);
    if (info->delete_marker) return DeleteMarkerAnswer(ctx, Code::kNoSuchVersion, version_id);
    head_info = std::move(*info);
  } else {
    Result<std::unique_ptr<object::ObjectReader>> r =
        ctx.layer.open_object(ctx.request_ctx, ctx.res.bucket, ctx.res.key, version_id);
    if (!r) return DeleteMarkerAnswer(ctx, r.error(), version_id);
    reader = std::move(*r);
  }
  const object::ObjectInfo& info = head ? head_info : reader->info();
  std::optional<sse::ReadSse> sse_key;
  FS_S3_RETURN_IF_ERROR(sse::PrepareRead(ctx, info, sse_key));
  if (sse_key && !head) {
    reader = std::make_unique<sse::DecryptingReader>(std::move(reader), sse_key->data_key,
                                                     sse_key->binding, std::move(sse_key->layout));
  }
  // A version named by the request is always echoed ("null" included).
  AddVersionIdHeader(ctx, info.version_id.empty() && version_param != nullptr
                              ? std::string_view("null")
                              : std::string_view(info.version_id));
  AddObjectLockHeaders(ctx, info);
  http::ResponseWriter& resp = ctx.response();
  const std::string etag = QuoteEtag(info.etag);
  const std::string modified = FormatHttpDate(info.mod_time_ns);

  Code cond = EvaluateConditions(ReadConditions(ctx.req), info.etag, info.mod_time_ns, false);
  if (cond == Code::kNotModified) {
    resp.add_header("ETag", etag);
    resp.add_header("Last-Modified", modified);
    return SendEmpty(ctx, 304);
  }
  if (cond != Code::kOk) return cond;

  ByteRange range;
  if (part_number > 0) {
    FS_S3_RETURN_IF_ERROR(PartRange(info, part_number, range));
  } else {
    range = ParseRange(ctx.header("range"), info.size);
    if (range.kind == ByteRange::Kind::kUnsatisfiable) {
      resp.add_header("Content-Range", ContentRange(range, info.size));
      return Code::kInvalidRange;
    }
  }
  const bool partial = range.kind == ByteRange::Kind::kSatisfiable;
  const uint64_t length = partial ? range.length : info.size;

  AddObjectHeaders(ctx, info, range, part_number, etag, modified);
  resp.set_status(partial ? 206 : 200);
  if (head) return resp.begin(length);  // head_only: Content-Length without the bytes
  if (partial) reader->set_range(range.offset, range.length);
  return StreamBody(ctx, *reader, length);
}

void S3Handler::ReleaseCopyBuffers() {
  CopyBuffers().clear();
}

}  // namespace flashstor::s3
