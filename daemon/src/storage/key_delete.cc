// StorageApi::delete_key as a drive applies it to its own files: the key's metadata files
// go first, then its data dirs to the trash. A remote drive sends (volume, key) to its node,
// which runs this code against its local drive.
#include <string>

#include "flashstor/storage/storage_api.h"

namespace flashstor::storage {

Result<bool> StorageApi::delete_key(std::string_view volume, std::string_view key) {
  // Metadata first: once it is gone the key is invisible on this drive. A legacy %m.json
  // before %m.bin, so no older version can show through in between.
  Status legacy = delete_path(volume, key, kLegacyMetaFile, false);
  if (!legacy.ok() && legacy != Code::kFileNotFound) return std::unexpected(legacy);
  Status current = delete_path(volume, key, kMetaFile, false);
  if (!current.ok() && current != Code::kFileNotFound) return std::unexpected(current);
  const bool had = legacy.ok() || current.ok();
  // Then every data dir. Data dirs plus the directories of keys below this one fit in a
  // listing this long; a key with more is finished by heal (it removes dirs no metadata
  // names).
  constexpr size_t kMaxEntries = 4096;
  auto names = list_dir(volume, key, "", kMaxEntries);
  if (!names) {
    // No directory left (the metadata was its last entry and the parents were pruned).
    if (names.error() == Code::kFileNotFound) return had;
    return std::unexpected(names.error());
  }
  for (std::string& name : *names) {
    if (!name.empty() && name.back() == '/') name.pop_back();
    if (!name.starts_with(kDataDirPrefix)) continue;
    (void)trash_data_dir(volume, key, std::string_view(name).substr(kDataDirPrefix.size()));
  }
  return had;
}

}  // namespace flashstor::storage
