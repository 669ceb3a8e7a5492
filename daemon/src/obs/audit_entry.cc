// AuditEntry filling and its JSON-lines rendering.
#include "flashstor/obs/audit_entry.h"

#include <charconv>
#include <cstdio>
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

void FillAuditEntry(AuditEntry& e, const RequestRecord& rec, int64_t time_unix_ms) {
  e.time_unix_ms = time_unix_ms;
  e.http_status = rec.http_status;
  e.bytes_in = rec.bytes_in;
  e.bytes_out = rec.bytes_out;
  e.duration_ns = rec.duration_ns;
  e.trace_id.assign(rec.trace_id);
  e.operation.assign(rec.operation);
  e.bucket.assign(rec.bucket);
  e.key.assign(rec.key);
  e.error_code.assign(rec.error_code);
  e.access_key.assign(rec.access_key);
  e.remote_addr.assign(rec.remote_addr);
  e.user_agent.assign(rec.user_agent);
  e.denied = rec.denied;
  if (rec.denied) {
    e.principal.assign(rec.principal);
    e.action.assign(rec.action);
    e.resource.assign(rec.resource);
    e.decided_by.assign(rec.decided_by);
  }
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
