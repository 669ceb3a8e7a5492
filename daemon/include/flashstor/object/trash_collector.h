// TrashCollector: the background thread that empties the drives' trash (StorageApi::
// collect_trash) of data dirs replaced longer ago than the grace, a bounded batch per drive
// and pass, so a GET that resolved a replaced version can read it to its end meanwhile.
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
  // At most this many entries removed per drive and pass.
  static constexpr size_t kMaxPerDrivePerPass = 1000;

  // drives may hold nulls (offline) and must outlive the collector.
  TrashCollector(const std::vector<std::shared_ptr<storage::StorageApi>>& drives, StopSignal& stop,
                 int64_t grace_seconds);
  void start();
  void join();
  // One pass over every drive, one after the other; returns the entries removed.
  size_t collect_once();
  // Seconds between passes: a quarter of the grace, 1..60.
  double interval_seconds() const;

 private:
  void loop();

  const std::vector<std::shared_ptr<storage::StorageApi>>& drives_;
  StopSignal& stop_;
  int64_t grace_seconds_;
  std::thread thread_;
};

}  // namespace flashstor::object
