// Helpers for the tests over LocalDisk drives: open a drive or fail the test, view a string's
// bytes, and ask whether a path exists. Shared by the storage and object unit tests.
#pragma once

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

}  // namespace flashstor::testing
