// AuditLog: asynchronous JSON audit trail. Each worker pushes RequestRecords into its own
// lock-free SPSC ring; one writer thread drains every ring into the sinks (file, journald).
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "flashstor/common/status.h"
#include "flashstor/obs/audit_entry.h"
#include "flashstor/obs/audit_sink.h"
#include "flashstor/obs/request_record.h"
#include "flashstor/obs/rotating_file_sink.h"
#include "flashstor/obs/spsc_byte_ring.h"

namespace flashstor::obs {

// Each event loop's ring: 128 KiB, resident once the loop has recorded that much. A record
// takes what its fields hold (its encoding, audit_entry.h: 200-400 bytes for a typical
// request), so the ring holds several hundred; the writer drains every ring at least every
// kMaxIdleSleep (20 ms), so a loop may record over 15,000 requests a second before one is
// dropped, more than a loop serves. Rings of 256 fixed 3.7 KiB slots (sizeof(AuditEntry)) held
// fewer records in 0.9 MiB a loop, all of it resident once a loop had served 256 requests:
// 3.7 MiB of the daemon's RSS on a 2-core machine (docs/execution-model.md, "Memory").
inline constexpr size_t kAuditRingBytes = 128 * 1024;
inline constexpr size_t kMaxAuditProducers = 256;

// The producer end owned by one worker thread. Only that thread may call record().
class AuditProducer {
 public:
  AuditProducer() {}  // user-provided: value-initialisation must not zero the ring either
  // Copies rec into the ring (wall-clock stamped now). Never blocks or allocates: when the ring
  // is full the record is dropped, counted, and false returned.
  bool record(const RequestRecord& rec);
  uint64_t dropped() const { return dropped_.load(std::memory_order_relaxed); }

 private:
  friend class AuditLog;
  SpscByteRing<kAuditRingBytes> ring_;
  std::atomic<uint64_t> dropped_{0};
};

struct AuditOptions {
  RotatingFileOptions file;  // file.path empty: no file sink
  bool journal = false;      // also send records to journald
};

class AuditLog {
 public:
  // Builds the sinks the options name (none is allowed: records are then drained and counted
  // only). Errors: the file sink could not be opened.
  static Result<std::unique_ptr<AuditLog>> Create(const AuditOptions& options);
  // For tests and custom wiring: takes ownership of the given sinks.
  explicit AuditLog(std::vector<std::unique_ptr<AuditSink>> sinks);
  ~AuditLog();  // Stop()s
  AuditLog(const AuditLog&) = delete;
  AuditLog& operator=(const AuditLog&) = delete;

  // Start-up only, from each worker (thread-safe). The pointer stays valid for the AuditLog's
  // lifetime. nullptr once kMaxAuditProducers are registered. Allocates the ring (128 KiB).
  AuditProducer* register_producer();

  // Starts the writer thread. kInvalidArgument if already started.
  Status Start();
  // Stops the writer after draining every ring and flushing and closing the sinks. Producers
  // must have stopped pushing. Idempotent.
  void Stop();

  uint64_t dropped() const;  // records lost because a ring was full
  uint64_t written() const { return written_.load(std::memory_order_relaxed); }
  uint64_t sink_errors() const { return sink_errors_.load(std::memory_order_relaxed); }

  static constexpr std::chrono::milliseconds kMaxIdleSleep{20};

 private:
  void run();
  size_t drain_once();  // writer thread: one pass over all rings; returns records handled

  std::vector<std::unique_ptr<AuditSink>> sinks_;
  std::array<std::unique_ptr<AuditProducer>, kMaxAuditProducers> producers_;
  std::atomic<size_t> producer_count_{0};
  std::mutex register_mu_;
  std::thread writer_;
  std::atomic<bool> running_{false};
  std::atomic<uint64_t> written_{0};
  std::atomic<uint64_t> sink_errors_{0};
  std::string line_;  // writer-thread scratch, capacity reused
  AuditEntry entry_;  // writer-thread scratch: the record being written, decoded
};

}  // namespace flashstor::obs
