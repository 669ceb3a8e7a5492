// S3 header semantics as pure functions: Range, conditional requests, HTTP/ISO dates, user
// metadata and Content-MD5. No I/O, so every rule is unit-testable.
#pragma once

#include <array>
#include <cstdint>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>

#include "flashstor/common/status.h"
#include "flashstor/http/request.h"
#include "flashstor/object/object_layer.h"
#include "flashstor/s3/error_table.h"

namespace flashstor::s3 {

inline constexpr uint64_t kMaxSinglePutSize = 5ull << 30;  // 5 GiB
inline constexpr size_t kMaxUserMetadataBytes = 2048;      // sum of names and values
inline constexpr size_t kMaxKeyLength = 1024;

// ---- Range (RFC 9110 §14, as S3 applies it) ----
struct ByteRange {
  enum class Kind : uint8_t { kNone, kSatisfiable, kUnsatisfiable };
  Kind kind = Kind::kNone;  // kNone: absent, malformed or multi-range -> send all with 200
  uint64_t offset = 0;
  uint64_t length = 0;
};
// Parses one "bytes=a-b" / "bytes=a-" / "bytes=-n" against an object of `size` bytes.
ByteRange ParseRange(std::string_view header, uint64_t size);
// "bytes a-b/size" for 206, "bytes */size" for 416.
std::string ContentRange(const ByteRange& range, uint64_t size);
// x-amz-copy-source-range: exactly "bytes=a-b" with a <= b < size.
Result<ByteRange> ParseCopySourceRange(std::string_view header, uint64_t size);

// ---- Conditional requests ----
struct Conditions {
  std::string_view if_match{}, if_none_match{}, if_modified_since{}, if_unmodified_since{};
};
Conditions ReadConditions(const http::Request& request);
Conditions ReadCopySourceConditions(const http::Request& request);
// AWS precedence: If-Match beats If-Unmodified-Since; If-None-Match beats If-Modified-Since.
// Returns kOk, kPreconditionFailed or (for GET/HEAD only, copy=false) kNotModified. For copy
// (x-amz-copy-source-if-*) every failure is kPreconditionFailed.
Code EvaluateConditions(const Conditions& c, std::string_view etag, int64_t mod_time_ns, bool copy);
// If-Match / If-None-Match of a conditional write (PutObject, CopyObject's destination,
// CompleteMultipartUpload) or delete (If-Match only; allow_if_none_match false). If-None-Match
// takes only "*" (kNotImplemented otherwise, as AWS); If-Match "*" or one ETag.
ApiError ReadWritePrecondition(const http::Request& request, bool allow_if_none_match,
                               object::WritePrecondition& out);
// True when the If-Match/If-None-Match list ("*", "\"a\", W/\"b\"") contains etag.
bool EtagListMatches(std::string_view list, std::string_view etag);

// ---- Time ----
// "Sun, 06 Nov 1994 08:49:37 GMT" (RFC 7231 IMF-fixdate).
std::string FormatHttpDate(int64_t unix_ns);
// IMF-fixdate, RFC 850 and asctime forms; nullopt when unparseable.
std::optional<std::time_t> ParseHttpDate(std::string_view s);
// "2009-10-12T17:50:30.000Z" as S3 XML bodies use.
std::string FormatIso8601(int64_t unix_ns);

// ---- Metadata and digests ----
// Collects x-amz-meta-* (lowercased names) and the stored standard headers
// (content-encoding without aws-chunked, content-disposition, content-language,
// cache-control, expires) plus Content-Type and x-amz-storage-class.
// Errors: kMetadataTooLarge, kInvalidStorageClass.
ApiError CollectPutOptions(const http::Request& request, object::PutOptions& out);
// The Content-Encoding to store: as sent, byte for byte, minus any aws-chunked item
// ("gzip, aws-chunked" -> "gzip"); empty when nothing is left.
std::string StoredContentEncoding(std::string_view sent);
// Content-MD5: nullopt when absent; kInvalidDigest unless base64 of exactly 16 bytes.
Result<std::optional<std::array<unsigned char, 16>>> ParseContentMd5(std::string_view b64);
// "\"<etag>\"".
std::string QuoteEtag(std::string_view etag);
// Strips surrounding quotes (and a W/ prefix).
std::string_view UnquoteEtag(std::string_view etag);

// Strict decimal parse of [0, max]; nullopt on anything else.
std::optional<int64_t> ParseDecimal(std::string_view s, int64_t max);
// Without leading and trailing spaces and tabs.
std::string_view Trim(std::string_view s);
// ASCII lowercase copy.
std::string Lower(std::string_view s);
bool IEquals(std::string_view a, std::string_view b);

}  // namespace flashstor::s3
