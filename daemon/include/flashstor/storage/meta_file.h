// A key's metadata file on one drive: reading it (%m.bin, or, where there is none, the legacy
// %m.json a previous release wrote, which every write or heal of the key replaces), and
// freeing the data dirs a rewrite of it leaves unnamed.
#pragma once

#include <string>
#include <string_view>

#include "flashstor/storage/storage_api.h"

namespace flashstor::storage {

struct MetaFile {
  std::string raw;     // a read from the drive
  SharedBytes shared;  // a cached read: the drive's cache's bytes, not copied
  bool legacy = false;
  std::string_view bytes() const { return shared != nullptr ? *shared : raw; }
};

// kFileNotFound when there is neither file. cached: from the drive's metadata cache or the
// kernel's caches only, else kWouldBlock (StorageApi::read_all_cached); the bytes are then in
// `shared`, else in `raw`.
Result<MetaFile> ReadMetaFile(StorageApi& drive, std::string_view volume, std::string_view key,
                              bool cached = false);

// Frees the data dirs of the versions in held that file does not name: to the drive's trash
// (a GET that resolved such a version may still be reading it), except a plaintext version
// an encrypted one replaced (encryption in place: a copy of the object onto itself asking for
// SSE), deleted at once: its plaintext must not outlive the request that asked for
// encryption (a GET still reading it fails mid-body).
void FreeDataDirs(StorageApi& drive, std::string_view volume, std::string_view key,
                  const object::MetaVersions& held, const object::MetaVersions& file);

}  // namespace flashstor::storage
