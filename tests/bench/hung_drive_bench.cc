// hung_drive_bench: PUT and GET latency of the erasure engine (no HTTP) at 4 KiB and 1 MiB,
// healthy and with one drive of four hanging in every call (storage::FaultyDisk), and the
// ratio hung / healthy. Drives are LocalDisks in a temporary directory; one request at a
// time, so the figures are per-request latencies. The first requests after the drive hangs
// pay the fan-out's grace once (then the drive has a stuck call and is skipped); p99 shows
// it. Never fails on slowness.
// Usage: hung_drive_bench [--requests N] [--dir BASE] [--json]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "engine_test_util.h"
#include "flashstor/object/erasure_sets.h"
#include "flashstor/storage/faulty_disk.h"
#include "flashstor/storage/local_disk.h"

using namespace flashstor;
using namespace flashstor::testing;
using Clock = std::chrono::steady_clock;

namespace {

struct Percentiles {
  double p50_us = 0, p99_us = 0;
};

Percentiles Summarise(std::vector<double> us) {
  std::sort(us.begin(), us.end());
  Percentiles p;
  if (us.empty()) return p;
  p.p50_us = us[us.size() / 2];
  p.p99_us = us[std::min(us.size() - 1, us.size() * 99 / 100)];
  return p;
}

double Micros(Clock::time_point t0) {
  return std::chrono::duration<double, std::micro>(Clock::now() - t0).count();
}

struct Engine {
  TempDir dir;
  std::vector<std::shared_ptr<storage::FaultyDisk>> faulty;
  std::unique_ptr<object::ErasureSets> e;

  explicit Engine(const char* base) : dir(base) {
    std::vector<std::shared_ptr<storage::StorageApi>> drives;
    for (const auto& p : MakeDrives(dir, 4)) {
      auto d = storage::LocalDisk::Open(p);
      if (!d) {
        fprintf(stderr, "hung_drive_bench: cannot open %s\n", p.c_str());
        exit(1);
      }
      faulty.push_back(std::make_shared<storage::FaultyDisk>(
          std::shared_ptr<storage::StorageApi>(std::move(*d))));
      drives.push_back(faulty.back());
    }
    object::EngineConfig config = TestConfig();
    config.min_quorum_grace_ms = 0;  // a hung drive: the production graces are measured
    e = std::make_unique<object::ErasureSets>(drives, 1, 2, config);
    if (!e->make_bucket({}, "bench").ok()) {
      fprintf(stderr, "hung_drive_bench: make_bucket failed\n");
      exit(1);
    }
  }
  ~Engine() {
    for (auto& d : faulty) d->release_hangs();  // hung pool tasks end before the pool joins
  }
};

struct Row {
  std::string name;
  Percentiles healthy, hung;
};

// PUTs of n fresh keys, then GETs of the keys written while healthy; returns latencies.
void Measure(Engine& f, const std::string& data, const std::string& prefix, int n,
             const std::string& get_prefix, std::vector<double>& put_us,
             std::vector<double>& get_us) {
  for (int i = 0; i < n; ++i) {
    const auto t0 = Clock::now();
    auto r = Put(*f.e, "bench", prefix + std::to_string(i), data);
    put_us.push_back(Micros(t0));
    if (!r) fprintf(stderr, "PUT failed: %s\n", std::string(r.error().message()).c_str());
  }
  for (int i = 0; i < n; ++i) {
    const auto t0 = Clock::now();
    auto r = Get(*f.e, "bench", get_prefix + std::to_string(i));
    get_us.push_back(Micros(t0));
    if (!r || r->size() != data.size()) fprintf(stderr, "GET failed\n");
  }
}

}  // namespace

int main(int argc, char** argv) {
  int requests = 200;
  const char* base = "/tmp";
  bool json = false;
  for (int i = 1; i < argc; ++i) {
    if (!strcmp(argv[i], "--requests") && i + 1 < argc) {
      requests = std::max(10, atoi(argv[++i]));
    } else if (!strcmp(argv[i], "--dir") && i + 1 < argc) {
      base = argv[++i];
    } else if (!strcmp(argv[i], "--json")) {
      json = true;
    } else {
      fprintf(stderr, "usage: hung_drive_bench [--requests N] [--dir BASE] [--json]\n");
      return 2;
    }
  }
  std::vector<Row> rows;
  for (size_t size : {size_t{4096}, size_t{1} << 20}) {
    Engine f(base);
    const std::string label = size == 4096 ? "4k" : "1m";
    const std::string data = RandomData(size, 7);
    // Warm-up: the pool's threads and the page cache.
    std::vector<double> ignore_put, ignore_get;
    Measure(f, data, "warm-", 10, "warm-", ignore_put, ignore_get);
    std::vector<double> put_ok, get_ok, put_hung, get_hung;
    Measure(f, data, "ok-", requests, "ok-", put_ok, get_ok);
    for (size_t c = 0; c < storage::kDriveCallCount; ++c) {
      f.faulty[3]->set(static_cast<storage::DriveCall>(c), storage::FaultRule::Hang());
    }
    Measure(f, data, "hung-", requests, "ok-", put_hung, get_hung);
    rows.push_back({"put_" + label, Summarise(put_ok), Summarise(put_hung)});
    rows.push_back({"get_" + label, Summarise(get_ok), Summarise(get_hung)});
  }
  auto ratio = [](double a, double b) { return b > 0 ? a / b : 0.0; };
  if (json) {
    printf("{");
    for (size_t i = 0; i < rows.size(); ++i) {
      const Row& r = rows[i];
      printf(
          "%s\"%s\": {\"healthy_p50_us\": %.1f, \"healthy_p99_us\": %.1f, \"hung_p50_us\": %.1f, "
          "\"hung_p99_us\": %.1f, \"p50_ratio\": %.3f, \"p99_ratio\": %.3f}",
          i ? ", " : "", r.name.c_str(), r.healthy.p50_us, r.healthy.p99_us, r.hung.p50_us,
          r.hung.p99_us, ratio(r.hung.p50_us, r.healthy.p50_us),
          ratio(r.hung.p99_us, r.healthy.p99_us));
    }
    printf(", \"requests\": %d}\n", requests);
    return 0;
  }
  printf("%-8s %12s %12s %12s %12s %8s %8s\n", "op", "healthy p50", "healthy p99", "hung p50",
         "hung p99", "p50 x", "p99 x");
  for (const Row& r : rows) {
    printf("%-8s %10.0fus %10.0fus %10.0fus %10.0fus %8.2f %8.2f\n", r.name.c_str(),
           r.healthy.p50_us, r.healthy.p99_us, r.hung.p50_us, r.hung.p99_us,
           ratio(r.hung.p50_us, r.healthy.p50_us), ratio(r.hung.p99_us, r.healthy.p99_us));
  }
  printf("(%d requests each, one at a time; drive 3 of 4 hangs in every call)\n", requests);
  return 0;
}
