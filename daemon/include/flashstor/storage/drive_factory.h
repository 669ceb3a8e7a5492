// Drive factory: the engine's drives built from their paths. Each path opens as a LocalDisk,
// the format records place the drives into their slots (format.h: LoadFormats, which formats
// empty drives), and every slot, offline ones included, becomes
// MeteredDisk(HealthCheckedDisk(LocalDisk)), reconnected by path when its device returns.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "flashstor/storage/format.h"
#include "flashstor/storage/health_checked_disk.h"
#include "flashstor/storage/storage_api.h"

namespace flashstor::storage {

// One LocalDisk per path, in path order; null (logged as offline) where it cannot open.
std::vector<std::shared_ptr<StorageApi>> OpenLocalDisks(std::span<const std::string> paths);

struct PlacedDrives {
  FormatInfo reference;             // the deployment's format (LoadFormats)
  std::vector<size_t> reformatted;  // slots of wiped drives formatted into their old place
  // set_count * set_size slots in slot order, each MeteredDisk(HealthCheckedDisk(...)).
  std::vector<std::shared_ptr<StorageApi>> slots;
  std::vector<std::shared_ptr<HealthCheckedDisk>> health;  // each slot's health check
};

// Places the opened disks (OpenLocalDisks of paths) into their slots by their format records
// and wraps every slot. Logs re-formatted and offline slots; a format error is logged and
// described in *detail (optional).
Result<PlacedDrives> PlaceDrives(const std::vector<std::shared_ptr<StorageApi>>& disks,
                                 std::span<const std::string> paths, const FormatLayout& layout,
                                 const HealthOptions& options, std::string* detail = nullptr);

}  // namespace flashstor::storage
