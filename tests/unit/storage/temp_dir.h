// TempDir: a mkdtemp directory under /tmp removed (recursively) when the test ends.
// Shared by the storage and object unit tests.
#pragma once

#include <ftw.h>
#include <stdlib.h>
#include <unistd.h>

#include <string>
#include <string_view>

namespace flashstor::testing {

inline int RemoveEntry(const char* path, const struct stat*, int, struct FTW*) {
  return ::remove(path);
}

inline void RemoveAll(const std::string& path) {
  nftw(path.c_str(), RemoveEntry, 16, FTW_DEPTH | FTW_PHYS);
}

class TempDir {
 public:
  // base: parent directory; the bulk-metadata tests pass "/dev/shm" (tmpfs: fsync is free)
  // and fall back to /tmp when it is missing.
  explicit TempDir(const char* base = "/tmp") {
    std::string tmpl = std::string(base) + "/flashstor-test-XXXXXX";
    char* p = mkdtemp(tmpl.data());
    if (p == nullptr && std::string_view(base) != "/tmp") {
      tmpl = "/tmp/flashstor-test-XXXXXX";
      p = mkdtemp(tmpl.data());
    }
    if (p != nullptr) path_ = p;
  }
  ~TempDir() {
    if (!path_.empty()) RemoveAll(path_);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

}  // namespace flashstor::testing
