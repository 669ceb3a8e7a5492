// JournalAuditSink: sends each audit record to journald as native fields (FLASHSTOR_AUDIT=1,
// FLASHSTOR_OPERATION=..., MESSAGE=<the JSON object>), so `journalctl FLASHSTOR_AUDIT=1` finds
// them.
#pragma once

#include "flashstor/obs/audit_sink.h"
#include "flashstor/obs/log.h"

namespace flashstor::obs {

// The native fields of one audit record; views point into the entry and into numbers.
struct AuditJournalFields {
  static constexpr size_t kCount = 13;
  Field fields[kCount];
  char numbers[4][24];
};

// Pure: fills out from entry (FLASHSTOR_AUDIT=1, FLASHSTOR_TRACE_ID, FLASHSTOR_ACCESS_KEY,
// FLASHSTOR_OPERATION, FLASHSTOR_BUCKET, FLASHSTOR_KEY, FLASHSTOR_STATUS, FLASHSTOR_ERROR_CODE,
// FLASHSTOR_BYTES_IN, FLASHSTOR_BYTES_OUT, FLASHSTOR_DURATION_MS, FLASHSTOR_REMOTE_ADDR,
// FLASHSTOR_USER_AGENT). Keys are raw bytes: journald values are binary-safe.
void BuildAuditJournalFields(const AuditEntry& entry, AuditJournalFields& out);

class JournalAuditSink final : public AuditSink {
 public:
  // MESSAGE is json_line without its newline; PRIORITY is info.
  Status append(const AuditEntry& entry, std::string_view json_line) override;
  Status flush() override { return Status::Ok(); }
};

}  // namespace flashstor::obs
