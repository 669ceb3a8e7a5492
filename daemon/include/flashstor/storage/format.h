// Drive format records (kSysVolume/format.json): which deployment a drive belongs to, its id
// and the set layout. LoadFormats formats empty drives on first start and, later, places
// drives into their slots by id, refusing foreign or mismatched drives.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "flashstor/common/status.h"
#include "flashstor/storage/storage_api.h"

namespace flashstor::storage {

inline constexpr int kFormatVersion = 1;

struct FormatInfo {
  int version = kFormatVersion;
  std::string deployment_id;
  std::string drive_id;                        // this drive
  std::vector<std::vector<std::string>> sets;  // drive ids, set by set
  int parity = -1;                             // default parity; -1: by set size
};

std::string EncodeFormat(const FormatInfo& format);
// kCorrupt when the JSON or a field is malformed.
Result<FormatInfo> DecodeFormat(std::string_view json);

struct FormatLayout {
  int set_count = 1;
  int set_size = 1;
  int parity = -1;  // written into a fresh format
};

struct FormattedDrives {
  FormatInfo reference;  // the quorum's format (drive_id empty)
  // set_count * set_size drives in slot order (set 0 first); null: offline.
  std::vector<std::shared_ptr<StorageApi>> slots;
  std::vector<size_t> reformatted;  // slots of wiped drives formatted into their old place
  bool fresh = false;               // first start: every drive was formatted now
};

// drives in command-line order; a null entry is a drive that could not be opened.
// Fresh start (no drive formatted): needs every drive online, formats them in order.
// Otherwise needs more than half of the drives to agree on one format; a drive of another
// deployment or layout, a duplicate drive id or a changed drive count is an error whose
// detail names the drive and the fix. Unformatted drives take the free slots.
Result<FormattedDrives> LoadFormats(const std::vector<std::shared_ptr<StorageApi>>& drives,
                                    const FormatLayout& layout, std::string* detail);

// A drive coming back to slot drive_id of the deployment reference (reconnect after start):
// false when it carries that id; true when it was empty (or its record corrupt) and has now
// been formatted into the slot (it must be healed). kInvalidArgument with *detail when it
// belongs to another deployment or slot; a read or write error as it came.
Result<bool> AdoptDrive(StorageApi& drive, const FormatInfo& reference, const std::string& drive_id,
                        std::string* detail);

}  // namespace flashstor::storage
