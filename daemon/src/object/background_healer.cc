// BackgroundHealer: the heal-queue drainer thread, drive probes and rejoin scans.
#include "flashstor/object/background_healer.h"

#include <chrono>

#include "flashstor/common/thread_name.h"
#include "flashstor/object/erasure_sets.h"
#include "flashstor/obs/log.h"

namespace flashstor::object {

BackgroundHealer::BackgroundHealer(ErasureSets& layer, HealQueue& queue, EngineCounters& counters,
                                   DriveProber& prober, Scanner& scanner,
                                   std::shared_ptr<DriveEvents> events, StopSignal& stop)
    : layer_(layer),
      queue_(queue),
      counters_(counters),
      prober_(prober),
      scanner_(scanner),
      events_(std::move(events)),
      stop_(stop) {}

void BackgroundHealer::start() {
  thread_ = std::thread([this] {
    NameThisThread("fs-healer");
    loop();
  });
}

void BackgroundHealer::join() {
  if (thread_.joinable()) thread_.join();
}

void BackgroundHealer::take_drive_events() {
  std::vector<size_t> reformatted;
  {
    std::lock_guard<std::mutex> lock(events_->mu);
    if (!events_->changed) return;
    events_->changed = false;
    reformatted.swap(events_->reformatted);
  }
  prober_.probe();
  // Objects written while the drive was away miss their shards on it, and the heal queue
  // entries for them were drained while it was offline: one full pass heals them. An empty
  // replacement (marked refilling when it rejoined: its answers do not count against
  // versions) needs the same pass to be refilled. Rejoins during the pass are healed by
  // the next one.
  obs::Log(obs::Level::kNotice, "drive rejoined: healing scan started",
           {{"REPLACED_DRIVES", std::to_string(reformatted.size())}});
  scanner_.scan_once(0);
  if (stop_.stopped()) return;
  const size_t size = layer_.drives().size() / static_cast<size_t>(layer_.set_count());
  for (size_t slot : reformatted) {
    layer_.set(static_cast<int>(slot / size)).set_refilling(slot % size, false);
  }
  obs::Log(obs::Level::kNotice, "drive rejoined: healing scan finished");
}

void BackgroundHealer::loop() {
  auto next_probe = std::chrono::steady_clock::now();
  while (!stop_.stopped()) {
    take_drive_events();
    if (std::chrono::steady_clock::now() >= next_probe) {
      prober_.probe();
      next_probe = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    }
    auto task = queue_.pop(std::chrono::milliseconds(200));
    if (!task) continue;
    layer_.heal_object(ctx_, task->bucket, task->key);
    ++counters_.heal_processed;
  }
}

}  // namespace flashstor::object
