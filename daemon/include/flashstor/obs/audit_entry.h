// AuditEntry: fixed-size copy of a RequestRecord that lives in an SPSC ring slot. Bounded char
// arrays (not std::string) so a push copies bytes into preallocated memory and never allocates.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "flashstor/obs/request_record.h"

namespace flashstor::obs {

// A string of at most Cap bytes stored inline. assign() truncates at a UTF-8 code point
// boundary when the source is valid UTF-8 (so truncation alone never creates U+FFFD).
template <size_t Cap>
struct BoundedString {
  static_assert(Cap <= 65535);
  uint16_t len = 0;
  bool truncated = false;
  char data[Cap];

  void assign(std::string_view s) {
    size_t n = s.size();
    truncated = n > Cap;
    if (truncated) {
      n = Cap;
      // s[n] is the first byte left out; when it is a continuation byte, cut before the lead
      // byte of its sequence (at most 3 back) so a multibyte character is not split.
      size_t cut = n;
      while (cut > 0 && n - cut < 3 && IsContinuation(s[cut])) --cut;
      if (!IsContinuation(s[cut])) n = cut;
    }
    for (size_t i = 0; i < n; ++i) data[i] = s[i];
    len = static_cast<uint16_t>(n);
  }
  std::string_view view() const { return {data, len}; }

 private:
  static bool IsContinuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }
};

// Bounds: S3 keys are at most 1024 bytes; bucket names at most 63; the user agent is truncated
// to 256 bytes; the rest are ids we generate or short codes. About 1.8 KiB per entry.
struct AuditEntry {
  static constexpr size_t kMaxKey = 1024;
  static constexpr size_t kMaxUserAgent = 256;

  int64_t time_unix_ms = 0;
  int http_status = 0;
  uint64_t bytes_in = 0;
  uint64_t bytes_out = 0;
  uint64_t duration_ns = 0;
  BoundedString<64> trace_id;
  BoundedString<64> operation;
  BoundedString<64> bucket;
  BoundedString<kMaxKey> key;
  BoundedString<64> error_code;
  BoundedString<128> access_key;
  BoundedString<64> remote_addr;
  BoundedString<kMaxUserAgent> user_agent;
  bool denied = false;  // the fields below are set only then
  BoundedString<256> principal;
  BoundedString<64> action;
  BoundedString<kMaxKey + 80> resource;
  BoundedString<512> decided_by;
};

// Copies rec into e (truncating to the bounds) and stamps the wall-clock time. Never allocates.
void FillAuditEntry(AuditEntry& e, const RequestRecord& rec, int64_t time_unix_ms);

// Current wall-clock time in milliseconds since the Unix epoch.
int64_t NowUnixMs();

// Appends e as one JSON object followed by '\n'. Fields: time, trace_id, access_key, operation,
// bucket, key, status, error_code, bytes_in, bytes_out, duration_ms, remote_addr, user_agent,
// and for a denied request "denial": {principal, action, resource, source_ip, decided_by}.
// Allocates only when out has to grow (the writer reuses one buffer).
void AppendAuditJsonLine(std::string& out, const AuditEntry& e);

}  // namespace flashstor::obs
