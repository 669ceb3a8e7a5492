// DriveProber: counts the drives that answer disk_info.
#include "flashstor/object/drive_prober.h"

namespace flashstor::object {

DriveProber::DriveProber(const std::vector<std::shared_ptr<storage::StorageApi>>& drives,
                         WorkerPool& pool)
    : drives_(drives), pool_(pool) {
  // A health-checked drive offline at start-up is present but answers kDiskNotFound.
  for (const auto& d : drives_) online_ += d != nullptr && d->disk_info().has_value();
}

void DriveProber::probe() {
  std::atomic<uint64_t> online{0};
  pool_.run(drives_.size(), [&](size_t d) {
    if (drives_[d] != nullptr && drives_[d]->disk_info().has_value()) ++online;
  });
  online_ = online.load();
}

}  // namespace flashstor::object
