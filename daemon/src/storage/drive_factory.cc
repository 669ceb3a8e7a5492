// Drive factory (drive_factory.h): paths -> LocalDisks -> slots by format record -> metered,
// health-checked slots.
#include "flashstor/storage/drive_factory.h"

#include "flashstor/obs/log.h"
#include "flashstor/storage/local_disk.h"
#include "flashstor/storage/metered_disk.h"

namespace flashstor::storage {
namespace {

// The path of each slot: its drive's, or for an empty slot (drive offline at start-up) a
// path no slot took, its own command-line position first.
std::vector<std::string> SlotPaths(const std::vector<std::shared_ptr<StorageApi>>& slots,
                                   std::span<const std::string> paths,
                                   const std::vector<std::shared_ptr<StorageApi>>& opened) {
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
std::vector<std::shared_ptr<StorageApi>> WrapDrives(
    const std::vector<std::shared_ptr<StorageApi>>& slots, const std::vector<std::string>& paths,
    const FormatInfo& reference, const HealthOptions& options,
    std::vector<std::shared_ptr<HealthCheckedDisk>>& health) {
  std::vector<std::shared_ptr<StorageApi>> out;
  const size_t size = reference.sets.empty() ? 1 : reference.sets[0].size();
  for (size_t s = 0; s < slots.size(); ++s) {
    std::string id = reference.sets[s / size][s % size];
    std::string path = paths[s];
    // Runs on the slot's monitor thread only; logs a refusal once per distinct reason.
    Reconnector reconnect = [path, reference, id,
                             last = std::string()]() mutable -> Result<Reconnected> {
      if (path.empty()) return Err(Code::kDiskNotFound, "no path for this slot");
      auto disk = LocalDisk::Open(path);
      if (!disk) return std::unexpected(disk.error());
      std::shared_ptr<StorageApi> drive(std::move(*disk));
      std::string why;
      auto adopted = AdoptDrive(*drive, reference, id, &why);
      if (!adopted) {
        if (!why.empty() && why != last) {
          obs::Log(obs::Level::kWarning, "drive refused", {{"DETAIL", why}});
        }
        last = why;
        return std::unexpected(adopted.error());
      }
      return Reconnected{std::move(drive), *adopted};
    };
    health.push_back(std::make_shared<HealthCheckedDisk>(
        path.empty() ? "slot " + std::to_string(s) : path, slots[s], options, reconnect));
    out.push_back(std::make_shared<MeteredDisk>(health.back()));
  }
  return out;
}

}  // namespace

std::vector<std::shared_ptr<StorageApi>> OpenLocalDisks(std::span<const std::string> paths) {
  std::vector<std::shared_ptr<StorageApi>> drives;
  for (const std::string& path : paths) {
    auto disk = LocalDisk::Open(path);
    if (!disk) {
      obs::Log(obs::Level::kWarning, "drive offline",
               {{"DRIVE", path}, {"ERROR", CodeName(disk.error().code())}});
      drives.push_back(nullptr);
      continue;
    }
    drives.push_back(std::move(*disk));
  }
  return drives;
}

Result<PlacedDrives> PlaceDrives(const std::vector<std::shared_ptr<StorageApi>>& disks,
                                 std::span<const std::string> paths, const FormatLayout& layout,
                                 const HealthOptions& options, std::string* detail) {
  std::string why;
  auto formatted = LoadFormats(disks, layout, &why);
  if (!formatted) {
    obs::Log(obs::Level::kCritical, "cannot start: drive formats", {{"DETAIL", why}});
    if (detail != nullptr) *detail = why;
    return std::unexpected(formatted.error());
  }
  for (size_t slot : formatted->reformatted) {
    obs::Log(obs::Level::kNotice, "re-formatted wiped drive; it will be healed",
             {{"DRIVE", formatted->slots[slot]->endpoint()}, {"SLOT", std::to_string(slot)}});
  }
  const size_t set_size = static_cast<size_t>(layout.set_size);
  for (size_t slot = 0; slot < formatted->slots.size(); ++slot) {
    if (formatted->slots[slot] == nullptr) {
      obs::Log(obs::Level::kWarning, "drive slot offline: objects stay readable within parity",
               {{"SLOT", std::to_string(slot)},
                {"DRIVE_ID", formatted->reference.sets[slot / set_size][slot % set_size]}});
    }
  }
  PlacedDrives out;
  out.slots = WrapDrives(formatted->slots, SlotPaths(formatted->slots, paths, disks),
                         formatted->reference, options, out.health);
  out.reference = std::move(formatted->reference);
  out.reformatted = std::move(formatted->reformatted);
  return out;
}

}  // namespace flashstor::storage
