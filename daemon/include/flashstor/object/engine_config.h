// EngineConfig (tunables of the erasure engine) and EngineStats (counters for metrics).
#pragma once

#include <cstddef>
#include <cstdint>

#include "flashstor/storage/health_checked_disk.h"

namespace flashstor::object {

inline constexpr uint64_t kMinBlockSize = 64u << 10;
inline constexpr uint64_t kMaxBlockSize = 64u << 20;  // object_metadata rejects larger

struct EngineConfig {
  int parity = -1;                         // parity shards per set; -1: by set size
  uint64_t block_size = 1u << 20;          // bytes encoded at once (1 MiB)
  uint64_t inline_threshold = 128u << 10;  // objects below this live inside %m.bin (<= block)
  size_t heal_queue_capacity = 10000;      // bounded; overflow is counted, not queued
  double scan_objects_per_second = 50;     // background scanner rate; 0 disables the scanner
  int io_threads = 0;                      // worker pool size; 0: 2 per drive, 4..64
  bool background = true;  // OpenEngine starts the heal and scanner threads (else the caller)
  // A bucket heal or the scanner removes a data dir of a key no drive has metadata for (a
  // first PUT killed before writing it) only once it is this old (by mtime).
  int64_t uncommitted_grace_seconds = 3600;
  // Replaced data dirs wait this long in each drive's trash (a GET that resolved their
  // version reads on from there) before the trash collector removes them.
  int64_t trash_grace_seconds = 3600;
  // Lease of the namespace locks, read and write (Locker); 0: none, the in-process holder
  // refreshes implicitly. Tests set one to prove that a commit whose lease ran out is fenced off.
  int64_t lock_lease_ms = 0;
  // Tests only (0 in production): the least grace a quorum fan-out gives a drive that has not
  // answered (WorkerPool::set_min_grace). Unit tests that read every drive's files right
  // after a write set a generous one, so a drive slowed down by a loaded machine is not left
  // out of the object; tests of hung or slow drives keep 0.
  int64_t min_quorum_grace_ms = 0;
  // OpenEngine wraps every drive in a HealthCheckedDisk with these deadlines and probe period.
  storage::HealthOptions drive_health;
};

// Snapshot of the engine's counters (monotonic unless noted).
struct EngineStats {
  uint64_t objects_scanned = 0;      // objects the scanner verified
  uint64_t bytes_verified = 0;       // shard bytes whose bitrot digest was checked by heal/scan
  uint64_t shards_healed = 0;        // shard files / metadata rewritten
  uint64_t objects_healed = 0;       // heal_object calls that repaired something
  uint64_t heal_queue_length = 0;    // current (gauge)
  uint64_t heal_queue_overflow = 0;  // entries dropped because the queue was full
  uint64_t heal_queue_processed = 0;
  uint64_t scan_cycles = 0;         // complete passes over all objects
  uint64_t scan_cycle_objects = 0;  // objects seen so far in the current pass (coverage)
  uint64_t last_cycle_objects = 0;  // objects in the last complete pass
  uint64_t drives_total = 0;        // gauge
  uint64_t drives_online = 0;       // gauge: probed every 10 s and when a drive rejoins
};

}  // namespace flashstor::object
