// Helpers for the tests over LocalDisk drives: open a drive or fail the test, view a string's
// bytes, and ask whether a path exists. Shared by the storage and object unit tests.
#pragma once

#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "flashstor/storage/local_disk.h"

namespace flashstor::testing {

// The LocalDisk at path; the test aborts when it cannot be opened (no cmocka here: the
// benches include this header too).
inline std::unique_ptr<storage::LocalDisk> MustOpenDisk(const std::string& path) {
  auto d = storage::LocalDisk::Open(path);
  if (!d) {
    fprintf(stderr, "LocalDisk::Open(%s) failed: %.*s\n", path.c_str(),
            static_cast<int>(d.error().message().size()), d.error().message().data());
    abort();
  }
  return std::move(*d);
}

inline std::span<const uint8_t> Bytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

// Whether path names anything (file, directory, ...).
inline bool FileExists(const std::string& path) {
  return access(path.c_str(), F_OK) == 0;
}

// Empties the metadata cache of the drive that holds path (the drive's root or any path in
// it), for a test that changed the drive's files behind the engine's back (a running server
// never sees such a change: docs/concurrency.md, "The metadata cache").
inline void ForgetCachedMetadata(std::string path) {
  while (!path.empty()) {
    struct stat st {};
    if (FileExists(path + "/" + std::string(storage::kSysVolume)) &&
        ::stat(path.c_str(), &st) == 0) {
      (void)storage::MetaCache::ForDrive(st.st_dev, st.st_ino, storage::LocalDisk::kMetaCacheBytes);
      return;
    }
    const size_t slash = path.find_last_of('/');
    if (slash == std::string::npos || slash == 0) return;
    path.resize(slash);
  }
}

}  // namespace flashstor::testing
