// Engine start-up and background work: OpenEngine (the drive factory's slots -> sets), the
// heal queue drainer, the rate-limited scanner, and the stats snapshot.
#include <cmath>

#include "flashstor/object/erasure_sets.h"
#include "flashstor/object/list_merge.h"
#include "flashstor/object/set_layout.h"
#include "flashstor/obs/log.h"
#include "flashstor/storage/drive_factory.h"
#include "flashstor/storage/metered_disk.h"

namespace flashstor::object {

ErasureSets::~ErasureSets() {
  {
    std::lock_guard<std::mutex> lock(drive_events_->mu);
    drive_events_->refill = nullptr;  // drive monitors may outlive this object
  }
  stop_background();
  heal_queue_.close();
}

void ErasureSets::start_background(bool full_scan_now) {
  full_scan_ = full_scan_now;
  heal_thread_ = std::thread([this] { heal_loop(); });
  if (config_.scan_objects_per_second > 0 || full_scan_now) {
    scan_thread_ = std::thread([this] { scan_loop(); });
  }
}

void ErasureSets::stop_background() {
  {
    std::lock_guard<std::mutex> lock(stop_mu_);
    stop_ = true;
  }
  stop_cv_.notify_all();
  if (heal_thread_.joinable()) heal_thread_.join();
  if (scan_thread_.joinable()) scan_thread_.join();
}

bool ErasureSets::sleep_for(double seconds) {
  std::unique_lock<std::mutex> lock(stop_mu_);
  auto d = std::chrono::duration<double>(seconds);
  return !stop_cv_.wait_for(lock, std::chrono::duration_cast<std::chrono::nanoseconds>(d),
                            [this] { return stop_.load(); });
}

void ErasureSets::probe_drives() {
  std::atomic<uint64_t> online{0};
  pool_->run(drives_.size(), [&](size_t d) {
    if (drives_[d] != nullptr && drives_[d]->disk_info().has_value()) ++online;
  });
  drives_online_ = online.load();
}

void ErasureSets::take_drive_events() {
  std::vector<size_t> reformatted;
  {
    std::lock_guard<std::mutex> lock(drive_events_->mu);
    if (!drive_events_->changed) return;
    drive_events_->changed = false;
    reformatted.swap(drive_events_->reformatted);
  }
  probe_drives();
  // Objects written while the drive was away miss their shards on it, and the heal queue
  // entries for them were drained while it was offline: one full pass heals them. An empty
  // replacement (marked refilling when it rejoined: its answers do not count against
  // versions) needs the same pass to be refilled. Rejoins during the pass are healed by
  // the next one.
  obs::Log(obs::Level::kNotice, "drive rejoined: healing scan started",
           {{"REPLACED_DRIVES", std::to_string(reformatted.size())}});
  scan_once(0);
  if (stop_) return;
  const size_t size = drives_.size() / sets_.size();
  for (size_t slot : reformatted) sets_[slot / size]->set_refilling(slot % size, false);
  obs::Log(obs::Level::kNotice, "drive rejoined: healing scan finished");
}

void ErasureSets::heal_loop() {
  auto next_probe = std::chrono::steady_clock::now();
  while (!stop_) {
    take_drive_events();
    if (std::chrono::steady_clock::now() >= next_probe) {
      probe_drives();
      next_probe = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    }
    auto task = heal_queue_.pop(std::chrono::milliseconds(200));
    if (!task) continue;
    heal_object(task->bucket, task->key);
    ++counters_.heal_processed;
  }
}

uint64_t ErasureSets::scan_once(double objects_per_second) {
  counters_.scan_cycle_objects = 0;
  uint64_t scanned = 0;
  auto buckets = list_buckets();
  if (!buckets) return 0;
  for (const BucketInfo& b : *buckets) {
    for (auto& set : sets_) set->heal_bucket(b.name);
    bool go_on = true;
    heal_objects(b.name, [&](const HealResult&) {
      ++scanned;
      ++counters_.objects_scanned;
      ++counters_.scan_cycle_objects;
      go_on = objects_per_second <= 0 || sleep_for(1.0 / objects_per_second);
      return go_on;
    });
    if (!go_on) return scanned;
  }
  if (!stop_) {
    ++counters_.scan_cycles;
    counters_.last_cycle_objects = scanned;
  }
  return scanned;
}

void ErasureSets::scan_loop() {
  if (full_scan_.exchange(false)) {
    obs::Log(obs::Level::kNotice, "healing re-formatted drives: full scan started");
    scan_once(0);
    if (stop_) return;
    for (auto& set : sets_) {
      for (size_t d = 0; d < static_cast<size_t>(set->drive_count()); ++d) {
        set->set_refilling(d, false);
      }
    }
    obs::Log(obs::Level::kNotice, "re-formatted drives healed: full scan finished");
  }
  if (config_.scan_objects_per_second <= 0) return;
  while (!stop_) {
    scan_once(config_.scan_objects_per_second);
    if (!sleep_for(60)) return;  // pause between passes
  }
}

std::vector<ErasureSets::DriveUsage> ErasureSets::drive_usage() const {
  std::vector<DriveUsage> out;
  for (const auto& d : drives_) {
    const auto* m = dynamic_cast<const storage::MeteredDisk*>(d.get());
    if (m == nullptr) continue;
    const storage::DriveCounters& c = m->counters();
    out.push_back({m->endpoint(), c.bytes_read.load(std::memory_order_relaxed),
                   c.bytes_written.load(std::memory_order_relaxed),
                   c.operations.load(std::memory_order_relaxed),
                   c.errors.load(std::memory_order_relaxed)});
  }
  return out;
}

EngineStats ErasureSets::stats() const {
  EngineStats s;
  s.objects_scanned = counters_.objects_scanned;
  s.bytes_verified = counters_.bytes_verified;
  s.shards_healed = counters_.shards_healed;
  s.objects_healed = counters_.objects_healed;
  s.heal_queue_length = heal_queue_.size();
  s.heal_queue_overflow = heal_queue_.overflow();
  s.heal_queue_processed = counters_.heal_processed;
  s.scan_cycles = counters_.scan_cycles;
  s.scan_cycle_objects = counters_.scan_cycle_objects;
  s.last_cycle_objects = counters_.last_cycle_objects;
  s.drives_total = drives_.size();
  s.drives_online = drives_online_;
  return s;
}

Result<std::unique_ptr<ErasureSets>> OpenEngine(std::span<const std::string> drive_paths,
                                                const EngineConfig& config, std::string* detail) {
  auto layout = ComputeSetLayout(static_cast<int>(drive_paths.size()));
  if (!layout) {
    if (detail != nullptr) *detail = "drive count must be 1 or divisible into sets of 2..16";
    obs::Log(obs::Level::kCritical, "invalid drive count",
             {{"DRIVES", std::to_string(drive_paths.size())}});
    return std::unexpected(layout.error());
  }
  std::vector<std::shared_ptr<storage::StorageApi>> drives = storage::OpenLocalDisks(drive_paths);
  if (config.block_size < kMinBlockSize || config.block_size > kMaxBlockSize) {
    if (detail != nullptr) *detail = "block size must be between 64 KiB and 64 MiB";
    return Err(Code::kInvalidArgument, "bad block size");
  }
  int parity = config.parity >= 0 ? config.parity : DefaultParity(layout->set_size);
  if (parity > layout->set_size / 2) {
    if (detail != nullptr) *detail = "parity must be at most half the set size";
    return Err(Code::kInvalidArgument, "parity too large");
  }
  auto placed = storage::PlaceDrives(drives, drive_paths,
                                     {layout->set_count, layout->set_size, config.parity},
                                     config.drive_health, detail);
  if (!placed) return std::unexpected(placed.error());
  if (config.parity < 0 && placed->reference.parity >= 0) parity = placed->reference.parity;
  std::vector<std::shared_ptr<storage::HealthCheckedDisk>>& health = placed->health;
  const std::vector<std::shared_ptr<storage::StorageApi>>& slots = placed->slots;
  auto engine = std::make_unique<ErasureSets>(slots, layout->set_count, parity, config);
  for (size_t slot = 0; slot < health.size(); ++slot) {
    health[slot]->set_on_online([events = engine->drive_events(), slot](bool reformatted) {
      std::lock_guard<std::mutex> lock(events->mu);
      events->changed = true;
      if (!reformatted) return;
      events->reformatted.push_back(slot);
      if (events->refill) events->refill(slot);
    });
  }
  const int online = static_cast<int>(engine->stats().drives_online);
  obs::Log(obs::Level::kInfo, "erasure engine started",
           {{"SETS", std::to_string(layout->set_count)},
            {"SET_SIZE", std::to_string(layout->set_size)},
            {"DATA", std::to_string(layout->set_size - parity)},
            {"PARITY", std::to_string(parity)},
            {"DRIVES_ONLINE", std::to_string(online)},
            {"DEPLOYMENT_ID", placed->reference.deployment_id}});
  engine->mark_refilling(placed->reformatted);
  if (config.background) engine->start_background(!placed->reformatted.empty());
  return engine;
}

}  // namespace flashstor::object
