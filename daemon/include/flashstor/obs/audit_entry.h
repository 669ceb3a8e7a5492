// AuditEntry: the bounded copy of a RequestRecord that the audit writer renders (a JSON line,
// journald fields), and the compact encoding a record travels in through an audit ring.
// Bounded char arrays (not std::string): filling one never allocates.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>

#include "flashstor/obs/request_record.h"

namespace flashstor::obs {

// The length s keeps when bounded to cap bytes: all of it, or cap bytes cut back to a UTF-8
// code point boundary when the source is valid UTF-8 (so truncation alone never creates
// U+FFFD).
size_t BoundedLength(std::string_view s, size_t cap);

// A string of at most Cap bytes stored inline; assign() truncates with BoundedLength.
template <size_t Cap>
struct BoundedString {
  static_assert(Cap <= 32767);
  static constexpr size_t kCap = Cap;
  uint16_t len = 0;
  bool truncated = false;
  char data[Cap];

  void assign(std::string_view s) { set(s.substr(0, BoundedLength(s, Cap)), s.size() > Cap); }
  // bytes: already bounded (at most Cap).
  void set(std::string_view bytes, bool was_truncated) {
    // An empty view may have a null data(): memcpy's source must not be null, even for 0 bytes.
    if (!bytes.empty()) std::memcpy(data, bytes.data(), bytes.size());
    len = static_cast<uint16_t>(bytes.size());
    truncated = was_truncated;
  }
  std::string_view view() const { return {data, len}; }
};

// Bounds: S3 keys are at most 1024 bytes; bucket names at most 63; the user agent is truncated
// to 256 bytes; the rest are ids we generate or short codes. About 3.7 KiB per entry; encoded,
// a record takes what its fields hold (a few hundred bytes).
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

// The record as it travels through an audit ring (obs/spsc_byte_ring.h): its numbers, then
// each string field bounded as AuditEntry bounds it, as a 2-byte length and its bytes; the
// denial's fields only when denied. EncodeAuditRecord writes exactly EncodedAuditSize(rec)
// bytes and never allocates; DecodeAuditRecord fills e as FillAuditEntry would have, or
// returns false for bytes EncodeAuditRecord did not write.
size_t EncodedAuditSize(const RequestRecord& rec);
void EncodeAuditRecord(const RequestRecord& rec, int64_t time_unix_ms, uint8_t* out);
bool DecodeAuditRecord(std::span<const uint8_t> in, AuditEntry& e);

// Current wall-clock time in milliseconds since the Unix epoch.
int64_t NowUnixMs();

// Appends e as one JSON object followed by '\n'. Fields: time, trace_id, access_key, operation,
// bucket, key, status, error_code, bytes_in, bytes_out, duration_ms, remote_addr, user_agent,
// and for a denied request "denial": {principal, action, resource, source_ip, decided_by}.
// Allocates only when out has to grow (the writer reuses one buffer).
void AppendAuditJsonLine(std::string& out, const AuditEntry& e);

}  // namespace flashstor::obs
