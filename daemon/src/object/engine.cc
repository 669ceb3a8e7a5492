// Engine start-up and background work: OpenEngine (drives -> formats -> sets), the heal
// queue drainer, the rate-limited scanner, and the stats snapshot.
#include <cmath>

#include "flashstor/object/erasure_sets.h"
#include "flashstor/object/list_merge.h"
#include "flashstor/object/set_layout.h"
#include "flashstor/obs/log.h"
#include "flashstor/storage/format.h"
#include "flashstor/storage/health_checked_disk.h"
#include "flashstor/storage/local_disk.h"
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

namespace {

// The path of each slot: its drive's, or for an empty slot (drive offline at start-up) a
// path no slot took, its own command-line position first.
std::vector<std::string> SlotPaths(
    const std::vector<std::shared_ptr<storage::StorageApi>>& slots,
    std::span<const std::string> paths,
    const std::vector<std::shared_ptr<storage::StorageApi>>& opened) {
  std::vector<std::string> out(slots.size());
  std::vector<bool> taken(paths.size(), false);
  for (size_t s = 0; s < slots.size(); ++s) {
    if (slots[s] == nullptr) continue;
    out[s] = slots[s]->endpoint();
    for (size_t i = 0; i < opened.size(); ++i) taken[i] = taken[i] || opened[i] == slots[s];
  }
  for (size_t s = 0; s < slots.size(); ++s) {
    if (slots[s] != nullptr || s >= paths.size() || taken[s]) continue;
    out[s] = paths[s];
    taken[s] = true;
  }
  size_t next = 0;
  for (size_t s = 0; s < slots.size(); ++s) {
    if (!out[s].empty()) continue;
    while (next < paths.size() && taken[next]) ++next;
    if (next == paths.size()) break;
    out[s] = paths[next];
    taken[next] = true;
  }
  return out;
}

// Every slot becomes MeteredDisk(HealthCheckedDisk(LocalDisk)): the meter outside counts every
// call the engine makes, fail-fast answers of an offline drive included, and keeps its
// counters across reconnects; the health check inside times only calls that reach the device
// and can swap the drive underneath when it reconnects (reopened by path, format checked).
std::vector<std::shared_ptr<storage::StorageApi>> WrapDrives(
    const std::vector<std::shared_ptr<storage::StorageApi>>& slots,
    const std::vector<std::string>& paths, const storage::FormatInfo& reference,
    const storage::HealthOptions& options,
    std::vector<std::shared_ptr<storage::HealthCheckedDisk>>& health) {
  std::vector<std::shared_ptr<storage::StorageApi>> out;
  const size_t size = reference.sets.empty() ? 1 : reference.sets[0].size();
  for (size_t s = 0; s < slots.size(); ++s) {
    std::string id = reference.sets[s / size][s % size];
    std::string path = paths[s];
    // Runs on the slot's monitor thread only; logs a refusal once per distinct reason.
    storage::Reconnector reconnect =
        [path, reference, id, last = std::string()]() mutable -> Result<storage::Reconnected> {
      if (path.empty()) return Err(Code::kDiskNotFound, "no path for this slot");
      auto disk = storage::LocalDisk::Open(path);
      if (!disk) return std::unexpected(disk.error());
      std::shared_ptr<storage::StorageApi> drive(std::move(*disk));
      std::string why;
      auto adopted = storage::AdoptDrive(*drive, reference, id, &why);
      if (!adopted) {
        if (!why.empty() && why != last) {
          obs::Log(obs::Level::kWarning, "drive refused", {{"DETAIL", why}});
        }
        last = why;
        return std::unexpected(adopted.error());
      }
      return storage::Reconnected{std::move(drive), *adopted};
    };
    health.push_back(std::make_shared<storage::HealthCheckedDisk>(
        path.empty() ? "slot " + std::to_string(s) : path, slots[s], options, reconnect));
    out.push_back(std::make_shared<storage::MeteredDisk>(health.back()));
  }
  return out;
}

}  // namespace

Result<std::unique_ptr<ErasureSets>> OpenEngine(std::span<const std::string> drive_paths,
                                                const EngineConfig& config, std::string* detail) {
  auto layout = ComputeSetLayout(static_cast<int>(drive_paths.size()));
  if (!layout) {
    if (detail != nullptr) *detail = "drive count must be 1 or divisible into sets of 2..16";
    obs::Log(obs::Level::kCritical, "invalid drive count",
             {{"DRIVES", std::to_string(drive_paths.size())}});
    return std::unexpected(layout.error());
  }
  std::vector<std::shared_ptr<storage::StorageApi>> drives;
  for (const std::string& path : drive_paths) {
    auto disk = storage::LocalDisk::Open(path);
    if (!disk) {
      obs::Log(obs::Level::kWarning, "drive offline",
               {{"DRIVE", path}, {"ERROR", CodeName(disk.error().code())}});
      drives.push_back(nullptr);
      continue;
    }
    drives.push_back(std::move(*disk));
  }
  if (config.block_size < kMinBlockSize || config.block_size > kMaxBlockSize) {
    if (detail != nullptr) *detail = "block size must be between 64 KiB and 64 MiB";
    return Err(Code::kInvalidArgument, "bad block size");
  }
  int parity = config.parity >= 0 ? config.parity : DefaultParity(layout->set_size);
  if (parity > layout->set_size / 2) {
    if (detail != nullptr) *detail = "parity must be at most half the set size";
    return Err(Code::kInvalidArgument, "parity too large");
  }
  std::string why;
  auto formatted =
      storage::LoadFormats(drives, {layout->set_count, layout->set_size, config.parity}, &why);
  if (!formatted) {
    obs::Log(obs::Level::kCritical, "cannot start: drive formats", {{"DETAIL", why}});
    if (detail != nullptr) *detail = why;
    return std::unexpected(formatted.error());
  }
  if (config.parity < 0 && formatted->reference.parity >= 0) parity = formatted->reference.parity;
  for (size_t slot : formatted->reformatted) {
    obs::Log(obs::Level::kNotice, "re-formatted wiped drive; it will be healed",
             {{"DRIVE", formatted->slots[slot]->endpoint()}, {"SLOT", std::to_string(slot)}});
  }
  for (size_t slot = 0; slot < formatted->slots.size(); ++slot) {
    if (formatted->slots[slot] == nullptr) {
      obs::Log(obs::Level::kWarning, "drive slot offline: objects stay readable within parity",
               {{"SLOT", std::to_string(slot)},
                {"DRIVE_ID",
                 formatted->reference.sets[slot / layout->set_size][slot % layout->set_size]}});
    }
  }
  std::vector<std::shared_ptr<storage::HealthCheckedDisk>> health;
  std::vector<std::shared_ptr<storage::StorageApi>> slots =
      WrapDrives(formatted->slots, SlotPaths(formatted->slots, drive_paths, drives),
                 formatted->reference, config.drive_health, health);
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
            {"DEPLOYMENT_ID", formatted->reference.deployment_id}});
  engine->mark_refilling(formatted->reformatted);
  if (config.background) engine->start_background(!formatted->reformatted.empty());
  return engine;
}

}  // namespace flashstor::object
