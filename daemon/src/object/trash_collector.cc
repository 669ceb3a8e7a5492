// TrashCollector: periodic, bounded collection of the drives' trash.
#include "flashstor/object/trash_collector.h"

#include <algorithm>
#include <chrono>

#include "flashstor/common/thread_name.h"
#include "flashstor/obs/log.h"

namespace flashstor::object {

TrashCollector::TrashCollector(const std::vector<std::shared_ptr<storage::StorageApi>>& drives,
                               StopSignal& stop, int64_t grace_seconds,
                               size_t max_per_drive_per_pass)
    : drives_(drives),
      stop_(stop),
      grace_seconds_(std::max<int64_t>(grace_seconds, 1)),
      max_per_pass_(std::max<size_t>(max_per_drive_per_pass, 1)) {}

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

size_t TrashCollector::collect_once(bool* backlog) {
  if (backlog != nullptr) *backlog = false;
  const int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  const int64_t cutoff = now - grace_seconds_ * 1'000'000'000;
  size_t removed = 0;
  for (const auto& drive : drives_) {
    if (stop_.stopped()) break;
    if (drive == nullptr) continue;
    // A failing drive is retried next pass; once reopened, all it held is expired.
    auto n = drive->collect_trash(cutoff, max_per_pass_);
    if (!n) continue;
    removed += *n;
    if (backlog != nullptr && *n >= max_per_pass_) *backlog = true;
  }
  return removed;
}

void TrashCollector::loop() {
  // Every pass is bounded, but passes follow each other while they stop at their bound: at
  // one a minute, 1,000 entries a drive could not keep up with an hour of overwrites at
  // hundreds a second, and the trash (and the disk) would grow without end.
  double wait = std::min(kFirstPassSeconds, interval_seconds());
  while (stop_.sleep_for(wait)) {
    bool backlog = false;
    size_t removed = collect_once(&backlog);
    if (removed > 0) {
      obs::Log(obs::Level::kDebug, "trash collected", {{"ENTRIES", std::to_string(removed)}});
    }
    wait = backlog ? kBacklogPauseSeconds : interval_seconds();
  }
}

}  // namespace flashstor::object
