// Engine start-up and shutdown: OpenEngine (the drive factory's slots -> sets), starting and
// stopping the background services, and the stats snapshot.
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
  services_.heal_queue.close();
}

void ErasureSets::start_background(bool full_scan_now) {
  healer_.start();
  scanner_.start(full_scan_now);
  trash_collector_.start();
}

void ErasureSets::stop_background() {
  stop_.stop();
  healer_.join();
  scanner_.join();
  trash_collector_.join();
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
  s.objects_scanned = services_.counters.objects_scanned;
  s.bytes_verified = services_.counters.bytes_verified;
  s.shards_healed = services_.counters.shards_healed;
  s.objects_healed = services_.counters.objects_healed;
  s.heal_queue_length = services_.heal_queue.size();
  s.heal_queue_overflow = services_.heal_queue.overflow();
  s.heal_queue_processed = services_.counters.heal_processed;
  s.scan_cycles = services_.counters.scan_cycles;
  s.scan_cycle_objects = services_.counters.scan_cycle_objects;
  s.last_cycle_objects = services_.counters.last_cycle_objects;
  s.drives_total = drives_.size();
  s.drives_online = prober_.online();
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
  engine->set_reformatted_at_open(!placed->reformatted.empty());
  if (config.background) engine->start_background(engine->reformatted_at_open());
  return engine;
}

}  // namespace flashstor::object
