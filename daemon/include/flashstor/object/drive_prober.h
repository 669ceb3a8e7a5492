// DriveProber: how many of the engine's drives answer (StorageApi::disk_info), for the
// drives_online statistic; probed in parallel on the worker pool by the heal thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "flashstor/object/worker_pool.h"
#include "flashstor/storage/storage_api.h"

namespace flashstor::object {

class DriveProber {
 public:
  // Counts the drives online now (one after the other: no pool task before start-up ends).
  DriveProber(const std::vector<std::shared_ptr<storage::StorageApi>>& drives, WorkerPool& pool);
  void probe();
  uint64_t online() const { return online_.load(); }

 private:
  const std::vector<std::shared_ptr<storage::StorageApi>>& drives_;
  WorkerPool& pool_;
  std::atomic<uint64_t> online_{0};
};

}  // namespace flashstor::object
