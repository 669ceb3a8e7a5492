// AuditEntry filling, its encoding through the audit rings, and its JSON-lines rendering.
#include "flashstor/obs/audit_entry.h"

#include <charconv>
#include <cstdio>
#include <cstring>
#include <ctime>

#include "flashstor/common/peer_address.h"
#include "flashstor/common/utc_time.h"
#include "flashstor/obs/json_string.h"

namespace flashstor::obs {
namespace {

void AppendField(std::string& out, std::string_view name, std::string_view value) {
  out.push_back(',');
  out.push_back('"');
  out.append(name);
  out.append("\":");
  AppendJsonString(out, value);
}

void AppendNumField(std::string& out, std::string_view name, uint64_t value) {
  out.push_back(',');
  out.push_back('"');
  out.append(name);
  out.append("\":");
  AppendUint(out, value);
}

void AppendDenial(std::string& out, const AuditEntry& e) {
  out.append(",\"denial\":{\"principal\":");
  AppendJsonString(out, e.principal.view());
  AppendField(out, "action", e.action.view());
  AppendField(out, "resource", e.resource.view());
  AppendField(out, "source_ip", PeerHost(e.remote_addr.view()));
  AppendField(out, "decided_by", e.decided_by.view());
  out.push_back('}');
}

}  // namespace

size_t BoundedLength(std::string_view s, size_t cap) {
  const auto continuation = [](char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; };
  if (s.size() <= cap) return s.size();
  // s[cap] is the first byte left out; when it is a continuation byte, cut before the lead
  // byte of its sequence (at most 3 back) so a multibyte character is not split.
  size_t cut = cap;
  while (cut > 0 && cap - cut < 3 && continuation(s[cut])) --cut;
  return continuation(s[cut]) ? cap : cut;
}

namespace {

// Every string field as a (RequestRecord member, AuditEntry member) pair, in the order of the
// encoding; the denial's only when denied.
template <typename Visit>
void ForEachString(bool denied, Visit&& visit) {
  visit(&RequestRecord::trace_id, &AuditEntry::trace_id);
  visit(&RequestRecord::operation, &AuditEntry::operation);
  visit(&RequestRecord::bucket, &AuditEntry::bucket);
  visit(&RequestRecord::key, &AuditEntry::key);
  visit(&RequestRecord::error_code, &AuditEntry::error_code);
  visit(&RequestRecord::access_key, &AuditEntry::access_key);
  visit(&RequestRecord::remote_addr, &AuditEntry::remote_addr);
  visit(&RequestRecord::user_agent, &AuditEntry::user_agent);
  if (!denied) return;
  visit(&RequestRecord::principal, &AuditEntry::principal);
  visit(&RequestRecord::action, &AuditEntry::action);
  visit(&RequestRecord::resource, &AuditEntry::resource);
  visit(&RequestRecord::decided_by, &AuditEntry::decided_by);
}

template <typename Member>
constexpr size_t CapOf(Member AuditEntry::*) {
  return Member::kCap;
}

// The numbers, first in an encoded record.
struct EncodedNumbers {
  int64_t time_unix_ms;
  uint64_t bytes_in;
  uint64_t bytes_out;
  uint64_t duration_ns;
  int32_t http_status;
  uint32_t denied;
};
constexpr uint16_t kTruncatedBit = 0x8000;  // in a string's 2-byte length

}  // namespace

void FillAuditEntry(AuditEntry& e, const RequestRecord& rec, int64_t time_unix_ms) {
  e.time_unix_ms = time_unix_ms;
  e.http_status = rec.http_status;
  e.bytes_in = rec.bytes_in;
  e.bytes_out = rec.bytes_out;
  e.duration_ns = rec.duration_ns;
  e.denied = rec.denied;
  ForEachString(rec.denied, [&](auto from, auto to) { (e.*to).assign(rec.*from); });
}

size_t EncodedAuditSize(const RequestRecord& rec) {
  size_t n = sizeof(EncodedNumbers);
  ForEachString(rec.denied,
                [&](auto from, auto to) { n += 2 + BoundedLength(rec.*from, CapOf(to)); });
  return n;
}

void EncodeAuditRecord(const RequestRecord& rec, int64_t time_unix_ms, uint8_t* out) {
  const EncodedNumbers numbers{time_unix_ms,    rec.bytes_in,    rec.bytes_out,
                               rec.duration_ns, rec.http_status, rec.denied ? 1u : 0u};
  std::memcpy(out, &numbers, sizeof(numbers));
  out += sizeof(numbers);
  ForEachString(rec.denied, [&](auto from, auto to) {
    const std::string_view s = rec.*from;
    const size_t n = BoundedLength(s, CapOf(to));
    const uint16_t header = static_cast<uint16_t>(n | (s.size() > n ? kTruncatedBit : 0));
    std::memcpy(out, &header, sizeof(header));
    if (n > 0) std::memcpy(out + sizeof(header), s.data(), n);  // an unset view's data() is null
    out += sizeof(header) + n;
  });
}

bool DecodeAuditRecord(std::span<const uint8_t> in, AuditEntry& e) {
  EncodedNumbers numbers;
  if (in.size() < sizeof(numbers)) return false;
  std::memcpy(&numbers, in.data(), sizeof(numbers));
  in = in.subspan(sizeof(numbers));
  e.time_unix_ms = numbers.time_unix_ms;
  e.http_status = numbers.http_status;
  e.bytes_in = numbers.bytes_in;
  e.bytes_out = numbers.bytes_out;
  e.duration_ns = numbers.duration_ns;
  e.denied = numbers.denied != 0;
  bool ok = true;
  ForEachString(e.denied, [&](auto, auto to) {
    uint16_t header = 0;
    if (!ok || in.size() < sizeof(header)) {
      ok = false;
      return;
    }
    std::memcpy(&header, in.data(), sizeof(header));
    const size_t n = header & ~kTruncatedBit;
    if (n > CapOf(to) || in.size() < sizeof(header) + n) {
      ok = false;
      return;
    }
    (e.*to).set({reinterpret_cast<const char*>(in.data()) + sizeof(header), n},
                (header & kTruncatedBit) != 0);
    in = in.subspan(sizeof(header) + n);
  });
  return ok && in.empty();
}

int64_t NowUnixMs() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

void AppendAuditJsonLine(std::string& out, const AuditEntry& e) {
  out.append("{\"time\":\"");
  AppendIso8601Ms(out, e.time_unix_ms);  // RFC 3339, UTC, milliseconds
  out.push_back('"');
  AppendField(out, "trace_id", e.trace_id.view());
  AppendField(out, "access_key", e.access_key.view());
  AppendField(out, "operation", e.operation.view());
  AppendField(out, "bucket", e.bucket.view());
  AppendField(out, "key", e.key.view());
  AppendNumField(out, "status", e.http_status < 0 ? 0 : static_cast<uint64_t>(e.http_status));
  AppendField(out, "error_code", e.error_code.view());
  AppendNumField(out, "bytes_in", e.bytes_in);
  AppendNumField(out, "bytes_out", e.bytes_out);
  // Milliseconds with microsecond resolution: small requests finish well under 1 ms.
  AppendNumField(out, "duration_ms", e.duration_ns / 1000000);
  const uint64_t frac_us = (e.duration_ns / 1000) % 1000;
  char frac[8] = {'.', static_cast<char>('0' + frac_us / 100),
                  static_cast<char>('0' + frac_us / 10 % 10),
                  static_cast<char>('0' + frac_us % 10)};
  out.append(frac, 4);
  AppendField(out, "remote_addr", e.remote_addr.view());
  AppendField(out, "user_agent", e.user_agent.view());
  if (e.key.truncated) out.append(",\"key_truncated\":true");
  if (e.denied) AppendDenial(out, e);
  out.append("}\n");
}

}  // namespace flashstor::obs
