// FaultyEngine: an erasure-set engine over temporary drives, each wrapped in a storage::FaultyDisk,
// with the bucket "bucket" made. Shared by the object tests that inject drive faults.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "engine_test_util.h"
#include "flashstor/object/set_layout.h"
#include "flashstor/storage/faulty_disk.h"
#include "flashstor/storage/local_disk.h"

#include "cmocka_cpp.h"

namespace flashstor::testing {

using storage::FaultyDisk;

// A rule failing %m.json writes after the first n (a commit's later metadata writes).
inline storage::FaultRule FailMetaWritesAfter(int n) {
  return storage::FaultRule::Fail(Code::kFaultyDisk).on_file(storage::kMetaFile).skipping(n);
}

struct FaultyEngine {
  TempDir dir;
  std::vector<std::string> paths;
  std::vector<std::shared_ptr<FaultyDisk>> faulty;
  std::unique_ptr<object::ErasureSets> e;

  // n drives under base (a tmpfs path makes stress tests faster); io_threads 0: TestConfig's.
  // lock_lease_ms: EngineConfig's (0: none).
  explicit FaultyEngine(int n, int io_threads = 0, const char* base = "/tmp",
                        int64_t lock_lease_ms = 0)
      : dir(base), paths(MakeDrives(dir, n)) {
    std::vector<std::shared_ptr<storage::StorageApi>> drives;
    for (const auto& p : paths) {
      auto d = storage::LocalDisk::Open(p);
      faulty.push_back(
          std::make_shared<FaultyDisk>(std::shared_ptr<storage::StorageApi>(std::move(*d))));
      drives.push_back(faulty.back());
    }
    object::EngineConfig config = TestConfig();
    if (io_threads > 0) config.io_threads = io_threads;
    config.lock_lease_ms = lock_lease_ms;
    e = std::make_unique<object::ErasureSets>(drives, 1, object::DefaultParity(n), config);
    assert_true(e->make_bucket({}, "bucket").ok());
  }
};

}  // namespace flashstor::testing
