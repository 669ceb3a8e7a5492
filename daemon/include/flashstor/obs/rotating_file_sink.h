// RotatingFileSink: appends audit JSON lines to a file, rotating by size to path.1 .. path.N.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "flashstor/obs/audit_sink.h"

namespace flashstor::obs {

struct RotatingFileOptions {
  std::string path;                  // e.g. /var/log/flashstor/audit.log
  uint64_t max_bytes = 64ull << 20;  // rotate before a write would pass this size
  unsigned max_files = 5;            // keep path.1 .. path.max_files (1..100)
  // fsync policy: fdatasync() at most once per interval when data was written, always before a
  // rotation rename and at close. Zero means fdatasync after every flushed batch. The audit
  // log thus loses at most one interval of records on power failure, never on a crash of the
  // daemon alone (write() has reached the page cache by then).
  std::chrono::milliseconds fsync_interval{1000};
};

class RotatingFileSink final : public AuditSink {
 public:
  // Opens (creating, mode 0640, O_APPEND|O_CLOEXEC) the file. kInvalidArgument for bad
  // options, an I/O status when the file cannot be opened.
  static Result<std::unique_ptr<RotatingFileSink>> Open(RotatingFileOptions options);
  ~RotatingFileSink() override;

  Status append(const AuditEntry& entry, std::string_view json_line) override;
  Status flush() override;
  Status close() override;

  uint64_t rotations() const { return rotations_; }

 private:
  explicit RotatingFileSink(RotatingFileOptions options) : options_(std::move(options)) {}
  Status open_file();
  Status rotate();
  Status write_all(std::string_view data);

  RotatingFileOptions options_;
  int fd_ = -1;
  uint64_t file_bytes_ = 0;  // size of the current file including buffered bytes
  bool dirty_ = false;       // written since the last fdatasync
  std::chrono::steady_clock::time_point last_sync_{};
  std::string buffer_;  // pending bytes, capacity reused
  uint64_t rotations_ = 0;
};

}  // namespace flashstor::obs
