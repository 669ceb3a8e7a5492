// Drive-fault fixtures for the engine tests: four LocalDisks, each wrapped in the fault
// injector and the health checker, under one erasure set; waits and wall-clock bounds.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "cmocka_cpp.h"
#include "engine_test_util.h"
#include "flashstor/object/erasure_sets.h"
#include "flashstor/storage/faulty_disk.h"
#include "flashstor/storage/health_checked_disk.h"
#include "flashstor/storage/local_disk.h"

namespace flashstor::testing {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
inline constexpr size_t kMiB = 1u << 20;

inline storage::HealthOptions Short() {
  storage::HealthOptions o;
  o.data_deadline = 5s;     // fsyncs on a loaded 2-core machine
  o.meta_deadline = 400ms;  // the hung GET's metadata read takes the drive offline
  o.probe_interval = 100ms;
  return o;
}

struct HealthEngine {
  TempDir dir;
  std::vector<std::string> paths;
  std::vector<std::shared_ptr<storage::FaultyDisk>> faulty;
  std::vector<std::shared_ptr<storage::HealthCheckedDisk>> health;
  std::unique_ptr<object::ErasureSets> e;

  explicit HealthEngine(const storage::HealthOptions& options) : paths(MakeDrives(dir, 4)) {
    std::vector<std::shared_ptr<storage::StorageApi>> drives;
    for (const auto& p : paths) {
      auto d = storage::LocalDisk::Open(p);
      faulty.push_back(std::make_shared<storage::FaultyDisk>(
          std::shared_ptr<storage::StorageApi>(std::move(*d))));
      health.push_back(std::make_shared<storage::HealthCheckedDisk>(p, faulty.back(), options));
      drives.push_back(health.back());
    }
    object::EngineConfig config = TestConfig();
    config.min_quorum_grace_ms = 0;  // hung and slow drives: the production graces
    e = std::make_unique<object::ErasureSets>(drives, 1, 2, config);
    assert_true(e->make_bucket({}, "bucket").ok());
  }

  // Hung calls hold pool threads, which the engine's destructor joins: release them first.
  ~HealthEngine() {
    for (auto& d : faulty) d->release_hangs();
  }

  void on_every_call(size_t drive, const storage::FaultRule& rule) {
    for (size_t c = 0; c < storage::kDriveCallCount; ++c) {
      faulty[drive]->set(static_cast<storage::DriveCall>(c), rule);
    }
  }
};

template <typename Pred>
bool WaitFor(Pred pred, std::chrono::milliseconds timeout) {
  auto end = Clock::now() + timeout;
  while (!pred()) {
    if (Clock::now() > end) return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

inline double Since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// A wall-clock bound, stretched by FLASHSTOR_TIME_SCALE (ci/tsan.sh sets 2: ThreadSanitizer
// makes these requests 20-40x slower). Every bound stays below what waiting for the drive
// would take (a hang: forever; a slow drive: 5 s; the health deadline: 5 s).
inline double Bound(double seconds) {
  const char* scale = getenv("FLASHSTOR_TIME_SCALE");
  const double factor = scale != nullptr ? atof(scale) : 1.0;
  return seconds * std::clamp(factor, 1.0, 2.0);
}

}  // namespace flashstor::testing
