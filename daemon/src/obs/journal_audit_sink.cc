// Audit records as journald native fields.
#include "flashstor/obs/journal_audit_sink.h"

#include <charconv>
#include <span>

#define SD_JOURNAL_SUPPRESS_LOCATION
#include <systemd/sd-journal.h>

#include "flashstor/obs/log_format.h"

namespace flashstor::obs {
namespace {

std::string_view FormatNumber(char (&buf)[24], uint64_t v) {
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  (void)ec;
  return {buf, static_cast<size_t>(end - buf)};
}

}  // namespace

void BuildAuditJournalFields(const AuditEntry& e, AuditJournalFields& out) {
  const uint64_t status = e.http_status < 0 ? 0 : static_cast<uint64_t>(e.http_status);
  out.fields[0] = {"FLASHSTOR_AUDIT", "1"};
  out.fields[1] = {"FLASHSTOR_TRACE_ID", e.trace_id.view()};
  out.fields[2] = {"FLASHSTOR_ACCESS_KEY", e.access_key.view()};
  out.fields[3] = {"FLASHSTOR_OPERATION", e.operation.view()};
  out.fields[4] = {"FLASHSTOR_BUCKET", e.bucket.view()};
  out.fields[5] = {"FLASHSTOR_KEY", e.key.view()};
  out.fields[6] = {"FLASHSTOR_STATUS", FormatNumber(out.numbers[0], status)};
  out.fields[7] = {"FLASHSTOR_ERROR_CODE", e.error_code.view()};
  out.fields[8] = {"FLASHSTOR_BYTES_IN", FormatNumber(out.numbers[1], e.bytes_in)};
  out.fields[9] = {"FLASHSTOR_BYTES_OUT", FormatNumber(out.numbers[2], e.bytes_out)};
  out.fields[10] = {"FLASHSTOR_DURATION_MS", FormatNumber(out.numbers[3], e.duration_ns / 1000000)};
  out.fields[11] = {"FLASHSTOR_REMOTE_ADDR", e.remote_addr.view()};
  out.fields[12] = {"FLASHSTOR_USER_AGENT", e.user_agent.view()};
}

Status JournalAuditSink::append(const AuditEntry& entry, std::string_view json_line) {
  AuditJournalFields f;
  BuildAuditJournalFields(entry, f);
  if (!json_line.empty() && json_line.back() == '\n') json_line.remove_suffix(1);
  JournalEntry je(Level::kInfo, json_line, std::span<const Field>(f.fields, f.kCount));
  const std::span<const iovec> iov = je.iov();
  const int r = sd_journal_sendv(iov.data(), static_cast<int>(iov.size()));
  if (r < 0) return StatusFromErrno(-r, "audit journal: sd_journal_sendv");
  return Status::Ok();
}

}  // namespace flashstor::obs
