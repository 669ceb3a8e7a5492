// S3 header semantics: Range, conditionals with AWS precedence, HTTP/ISO dates, user
// metadata collection and Content-MD5 decoding.
#include "flashstor/s3/headers.h"

#include <openssl/evp.h>

#include <charconv>
#include <cstdio>
#include <cstring>

#include "flashstor/common/utc_time.h"
#include "flashstor/http/response.h"

namespace flashstor::s3 {
namespace {

std::string_view Header(const http::Request& r, std::string_view name) {
  for (const http::Header& h : r.headers) {
    if (IEquals(h.name, name)) return h.value;
  }
  return {};
}

bool StartsWithI(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && IEquals(s.substr(0, prefix.size()), prefix);
}

constexpr int64_t kMaxOffset = INT64_MAX;

}  // namespace

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool IEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

std::optional<int64_t> ParseDecimal(std::string_view s, int64_t max) {
  if (s.empty() || s.size() > 19) return std::nullopt;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v > max) return std::nullopt;
  return v;
}

ByteRange ParseRange(std::string_view header, uint64_t size) {
  ByteRange r;
  header = Trim(header);
  if (!StartsWithI(header, "bytes=")) return r;
  std::string_view spec = Trim(header.substr(6));
  if (spec.find(',') != std::string_view::npos) return r;  // multi-range: AWS ignores it
  size_t dash = spec.find('-');
  if (dash == std::string_view::npos) return r;
  std::string_view first = Trim(spec.substr(0, dash)), last = Trim(spec.substr(dash + 1));
  if (first.empty()) {  // suffix: last n bytes
    std::optional<int64_t> n = ParseDecimal(last, kMaxOffset);
    if (!n) return r;
    if (*n == 0 || size == 0) {
      r.kind = ByteRange::Kind::kUnsatisfiable;
      return r;
    }
    uint64_t len = std::min<uint64_t>(static_cast<uint64_t>(*n), size);
    r = {ByteRange::Kind::kSatisfiable, size - len, len};
    return r;
  }
  std::optional<int64_t> a = ParseDecimal(first, kMaxOffset);
  if (!a) return r;
  std::optional<int64_t> b;
  if (!last.empty()) {
    b = ParseDecimal(last, kMaxOffset);
    if (!b || *b < *a) return r;  // syntactically invalid: ignored (RFC 9110 §14.2)
  }
  if (static_cast<uint64_t>(*a) >= size) {
    r.kind = ByteRange::Kind::kUnsatisfiable;
    return r;
  }
  uint64_t end = b ? std::min<uint64_t>(static_cast<uint64_t>(*b), size - 1) : size - 1;
  r = {ByteRange::Kind::kSatisfiable, static_cast<uint64_t>(*a), end - *a + 1};
  return r;
}

std::string ContentRange(const ByteRange& range, uint64_t size) {
  char buf[96];
  if (range.kind == ByteRange::Kind::kSatisfiable) {
    std::snprintf(buf, sizeof buf, "bytes %llu-%llu/%llu",
                  static_cast<unsigned long long>(range.offset),
                  static_cast<unsigned long long>(range.offset + range.length - 1),
                  static_cast<unsigned long long>(size));
  } else {
    std::snprintf(buf, sizeof buf, "bytes */%llu", static_cast<unsigned long long>(size));
  }
  return buf;
}

Result<ByteRange> ParseCopySourceRange(std::string_view header, uint64_t size) {
  constexpr std::string_view kForm =
      "The x-amz-copy-source-range value must be of the form bytes=first-last where first and "
      "last are the zero-based offsets of the first and last bytes to copy";
  if (header.substr(0, 6) != "bytes=") return Err(Code::kInvalidArgument, kForm);
  std::string_view spec = header.substr(6);
  size_t dash = spec.find('-');
  if (dash == std::string_view::npos) return Err(Code::kInvalidArgument, kForm);
  std::optional<int64_t> a = ParseDecimal(spec.substr(0, dash), kMaxOffset);
  std::optional<int64_t> b = ParseDecimal(spec.substr(dash + 1), kMaxOffset);
  if (!a || !b || *b < *a) return Err(Code::kInvalidArgument, kForm);
  if (static_cast<uint64_t>(*b) >= size) {
    return Err(Code::kInvalidArgument, "Range specified is not valid for source object");
  }
  return ByteRange{ByteRange::Kind::kSatisfiable, static_cast<uint64_t>(*a),
                   static_cast<uint64_t>(*b - *a + 1)};
}

Conditions ReadConditions(const http::Request& request) {
  return {Header(request, "if-match"), Header(request, "if-none-match"),
          Header(request, "if-modified-since"), Header(request, "if-unmodified-since")};
}

Conditions ReadCopySourceConditions(const http::Request& request) {
  return {Header(request, "x-amz-copy-source-if-match"),
          Header(request, "x-amz-copy-source-if-none-match"),
          Header(request, "x-amz-copy-source-if-modified-since"),
          Header(request, "x-amz-copy-source-if-unmodified-since")};
}

std::string_view UnquoteEtag(std::string_view etag) {
  etag = Trim(etag);
  if (etag.substr(0, 2) == "W/") etag.remove_prefix(2);
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"') {
    etag = etag.substr(1, etag.size() - 2);
  }
  return etag;
}

std::string QuoteEtag(std::string_view etag) {
  std::string out;
  out.reserve(etag.size() + 2);
  out.push_back('"');
  out.append(etag);
  out.push_back('"');
  return out;
}

bool EtagListMatches(std::string_view list, std::string_view etag) {
  while (!list.empty()) {
    size_t comma = list.find(',');
    std::string_view item = Trim(list.substr(0, comma));
    if (item == "*" || (!item.empty() && UnquoteEtag(item) == UnquoteEtag(etag))) return true;
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return false;
}

Code EvaluateConditions(const Conditions& c, std::string_view etag, int64_t mod_time_ns,
                        bool copy) {
  // HTTP dates have one-second resolution: compare whole seconds.
  const std::time_t mod = static_cast<std::time_t>(mod_time_ns / 1000000000);
  if (!c.if_match.empty()) {
    if (!EtagListMatches(c.if_match, etag)) return Code::kPreconditionFailed;
  } else if (!c.if_unmodified_since.empty()) {
    std::optional<std::time_t> t = ParseHttpDate(c.if_unmodified_since);
    if (t && mod > *t) return Code::kPreconditionFailed;
  }
  const Code not_modified = copy ? Code::kPreconditionFailed : Code::kNotModified;
  if (!c.if_none_match.empty()) {
    if (EtagListMatches(c.if_none_match, etag)) return not_modified;
  } else if (!c.if_modified_since.empty()) {
    std::optional<std::time_t> t = ParseHttpDate(c.if_modified_since);
    if (t && mod <= *t) return not_modified;
  }
  return Code::kOk;
}

ApiError ReadWritePrecondition(const http::Request& request, bool allow_if_none_match,
                               object::WritePrecondition& out) {
  std::string_view none = Trim(Header(request, "if-none-match"));
  if (allow_if_none_match && !none.empty()) {
    if (none != "*") {
      return ApiError(Code::kNotImplemented, "If-None-Match on a write takes only the value '*'.");
    }
    out.if_none_match_any = true;
  }
  std::string_view match = Trim(Header(request, "if-match"));
  if (!match.empty()) out.if_match = std::string(match == "*" ? match : UnquoteEtag(match));
  return {};
}

std::string FormatHttpDate(int64_t unix_ns) {
  std::array<char, http::kHttpDateLength> out;
  http::FormatHttpDate(unix_ns / 1000000000, out);
  return std::string(out.data(), out.size());
}

std::optional<std::time_t> ParseHttpDate(std::string_view s) {
  s = Trim(s);
  if (s.empty() || s.size() > 64) return std::nullopt;
  char buf[65];
  std::memcpy(buf, s.data(), s.size());
  buf[s.size()] = '\0';
  // IMF-fixdate, RFC 850, asctime (RFC 9110 §5.6.7). strptime runs in the "C" locale.
  for (const char* fmt :
       {"%a, %d %b %Y %H:%M:%S GMT", "%A, %d-%b-%y %H:%M:%S GMT", "%a %b %e %H:%M:%S %Y"}) {
    std::tm tm{};
    const char* end = strptime(buf, fmt, &tm);
    if (end != nullptr && *end == '\0') return timegm(&tm);
  }
  return std::nullopt;
}

std::string FormatIso8601(int64_t unix_ns) {
  int64_t ms = unix_ns / 1'000'000;
  if (unix_ns % 1'000'000 < 0) --ms;  // round down before 1970, as the calendar does
  return FormatIso8601Ms(ms);         // no time-zone lock: a listing has 1,000
}

std::string StoredContentEncoding(std::string_view sent) {
  // Drop the aws-chunked items (the upload's own framing, as AWS does) and keep every other
  // byte as sent: "gzip, aws-chunked, br" -> "gzip, br", "gzip,br" stays "gzip,br".
  std::string out;
  bool first = true;
  while (true) {
    const size_t comma = sent.find(',');
    std::string_view item = sent.substr(0, comma);
    if (!IEquals(Trim(item), "aws-chunked")) {
      if (!first) out.push_back(',');
      out.append(item);
      first = false;
    }
    if (comma == std::string_view::npos) break;
    sent.remove_prefix(comma + 1);
  }
  return std::string(Trim(out));
}

ApiError CollectPutOptions(const http::Request& request, object::PutOptions& out) {
  static constexpr std::string_view kStored[] = {"content-disposition", "content-language",
                                                 "cache-control", "expires"};
  size_t user_bytes = 0;
  for (const http::Header& h : request.headers) {
    if (StartsWithI(h.name, "x-amz-meta-")) {
      user_bytes += h.name.size() - 11 + h.value.size();
      if (user_bytes > kMaxUserMetadataBytes) return ErrorId::kMetadataTooLarge;
      out.metadata.emplace_back(Lower(h.name), std::string(h.value));
      continue;
    }
    for (std::string_view name : kStored) {
      if (IEquals(h.name, name)) out.metadata.emplace_back(std::string(name), std::string(h.value));
    }
  }
  std::string enc = StoredContentEncoding(Header(request, "content-encoding"));
  if (!enc.empty()) out.metadata.emplace_back("content-encoding", std::move(enc));
  out.content_type = std::string(Header(request, "content-type"));
  std::string_view sc = Header(request, "x-amz-storage-class");
  if (!sc.empty()) {
    if (sc != "STANDARD" && sc != "REDUCED_REDUNDANCY") return ErrorId::kInvalidStorageClass;
    out.storage_class = std::string(sc);
  }
  return {};
}

Result<std::optional<std::array<unsigned char, 16>>> ParseContentMd5(std::string_view b64) {
  b64 = Trim(b64);
  if (b64.empty()) return std::optional<std::array<unsigned char, 16>>();
  // base64 of 16 bytes is exactly 24 characters ending in "==".
  if (b64.size() != 24 || b64.substr(22) != "==") return Err(Code::kInvalidDigest);
  unsigned char out[18];
  int n = EVP_DecodeBlock(out, reinterpret_cast<const unsigned char*>(b64.data()), 24);
  if (n != 18) return Err(Code::kInvalidDigest);
  std::array<unsigned char, 16> md5;
  std::memcpy(md5.data(), out, 16);
  return std::optional(md5);
}

}  // namespace flashstor::s3
