// AuditSink: where the audit writer thread puts each record (a rotating file, journald, a
// test double). Called from the single writer thread only, so implementations need no locks.
#pragma once

#include <string_view>

#include "flashstor/common/status.h"
#include "flashstor/obs/audit_entry.h"

namespace flashstor::obs {

class AuditSink {
 public:
  virtual ~AuditSink() = default;
  // One record; json_line is the rendered JSON object including the trailing '\n'. A sink may
  // buffer until flush(). Errors are counted by the caller; the record is then lost.
  virtual Status append(const AuditEntry& entry, std::string_view json_line) = 0;
  // Called after every drained batch and at shutdown: write out anything buffered.
  virtual Status flush() = 0;
  // Called once at shutdown, after the last flush(): make data durable and release resources.
  virtual Status close() { return flush(); }
};

}  // namespace flashstor::obs
