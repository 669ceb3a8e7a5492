// Scanner: rate-limited heal passes over every bucket, and the full refill pass.
#include "flashstor/object/scanner.h"

#include "flashstor/common/thread_name.h"
#include "flashstor/object/erasure_sets.h"
#include "flashstor/obs/log.h"

namespace flashstor::object {

Scanner::Scanner(ErasureSets& layer, EngineCounters& counters, StopSignal& stop,
                 double objects_per_second)
    : layer_(layer), counters_(counters), stop_(stop), objects_per_second_(objects_per_second) {}

void Scanner::start(bool full_scan_now) {
  full_scan_ = full_scan_now;
  if (objects_per_second_ > 0 || full_scan_now)
    thread_ = std::thread([this] {
      NameThisThread("fs-scanner");
      loop();
    });
}

void Scanner::join() {
  if (thread_.joinable()) thread_.join();
}

uint64_t Scanner::scan_once(double objects_per_second) {
  counters_.scan_cycle_objects = 0;
  uint64_t scanned = 0;
  auto buckets = layer_.list_buckets(ctx_);
  if (!buckets) return 0;
  for (const BucketInfo& b : *buckets) {
    for (int s = 0; s < layer_.set_count(); ++s) layer_.set(s).heal_bucket(ctx_, b.name);
    bool go_on = true;
    layer_.heal_objects(ctx_, b.name, [&](const HealResult&) {
      ++scanned;
      ++counters_.objects_scanned;
      ++counters_.scan_cycle_objects;
      go_on = objects_per_second <= 0 || stop_.sleep_for(1.0 / objects_per_second);
      return go_on;
    });
    if (!go_on) return scanned;
  }
  if (!stop_.stopped()) {
    ++counters_.scan_cycles;
    counters_.last_cycle_objects = scanned;
  }
  return scanned;
}

void Scanner::loop() {
  if (full_scan_.exchange(false)) {
    obs::Log(obs::Level::kNotice, "healing re-formatted drives: full scan started");
    scan_once(0);
    if (stop_.stopped()) return;
    for (int s = 0; s < layer_.set_count(); ++s) {
      ErasureSet& set = layer_.set(s);
      for (size_t d = 0; d < static_cast<size_t>(set.drive_count()); ++d) {
        set.set_refilling(d, false);
      }
    }
    obs::Log(obs::Level::kNotice, "re-formatted drives healed: full scan finished");
  }
  if (objects_per_second_ <= 0) return;
  while (!stop_.stopped()) {
    scan_once(objects_per_second_);
    if (!stop_.sleep_for(60)) return;  // pause between passes
  }
}

}  // namespace flashstor::object
