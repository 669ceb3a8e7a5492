// TrashCollector: periodic, bounded collection of the drives' trash.
#include "flashstor/object/trash_collector.h"

#include <algorithm>
#include <chrono>

#include "flashstor/common/thread_name.h"
#include "flashstor/obs/log.h"

namespace flashstor::object {

TrashCollector::TrashCollector(const std::vector<std::shared_ptr<storage::StorageApi>>& drives,
                               StopSignal& stop, int64_t grace_seconds)
    : drives_(drives), stop_(stop), grace_seconds_(std::max<int64_t>(grace_seconds, 1)) {}

void TrashCollector::start() {
  thread_ = std::thread([this] {
    NameThisThread("fs-trash");
    loop();
  });
}

void TrashCollector::join() {
  if (thread_.joinable()) thread_.join();
}

double TrashCollector::interval_seconds() const {
  return std::clamp(static_cast<double>(grace_seconds_) / 4, 1.0, 60.0);
}

size_t TrashCollector::collect_once() {
  const int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  const int64_t cutoff = now - grace_seconds_ * 1'000'000'000;
  size_t removed = 0;
  for (const auto& drive : drives_) {
    if (stop_.stopped()) break;
    if (drive == nullptr) continue;
    // A failing drive is retried next pass; its trash is also emptied when it is reopened.
    auto n = drive->collect_trash(cutoff, kMaxPerDrivePerPass);
    if (n) removed += *n;
  }
  return removed;
}

void TrashCollector::loop() {
  while (stop_.sleep_for(interval_seconds())) {
    size_t removed = collect_once();
    if (removed > 0) {
      obs::Log(obs::Level::kDebug, "trash collected", {{"ENTRIES", std::to_string(removed)}});
    }
  }
}

}  // namespace flashstor::object
