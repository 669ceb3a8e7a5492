// TrashCollector: the background thread that empties the drives' trash (StorageApi::
// collect_trash) of data dirs replaced longer ago than the grace, a bounded batch per drive
// and pass, so a GET that resolved a replaced version can read it to its end meanwhile. A
// pass that stops at its bound is followed by the next at once, so the trash drains as fast
// as overwrites fill it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

#include "flashstor/object/stop_signal.h"
#include "flashstor/storage/storage_api.h"

namespace flashstor::object {

class TrashCollector {
 public:
  // At most this many entries removed per drive and pass (by default).
  static constexpr size_t kMaxPerDrivePerPass = 1000;
  // The first pass, this long after start(): what the trash held when the drives were opened
  // has expired already (LocalDisk::collect_trash).
  static constexpr double kFirstPassSeconds = 1.0;
  // The pause before the next pass when a pass stopped at its bound on some drive.
  static constexpr double kBacklogPauseSeconds = 0.05;

  // drives may hold nulls (offline) and must outlive the collector.
  TrashCollector(const std::vector<std::shared_ptr<storage::StorageApi>>& drives, StopSignal& stop,
                 int64_t grace_seconds, size_t max_per_drive_per_pass = kMaxPerDrivePerPass);
  void start();
  void join();
  // One pass over every drive, one after the other; returns the entries removed. *backlog:
  // whether some drive stopped at the pass's bound (more may have expired there).
  size_t collect_once(bool* backlog = nullptr);
  // Seconds between passes that found no backlog: a quarter of the grace, 1..60.
  double interval_seconds() const;

 private:
  void loop();

  const std::vector<std::shared_ptr<storage::StorageApi>>& drives_;
  StopSignal& stop_;
  int64_t grace_seconds_;
  size_t max_per_pass_;
  std::thread thread_;
};

}  // namespace flashstor::object
