// Unit tests of HealthCheckedDisk over FaultyDisk(LocalDisk): latency per kind, a hung call
// takes the drive offline after its deadline and later calls fail fast without reaching the
// device, a slow call does too, the probe brings it back, a vanished drive reconnects, a
// drive offline at start-up rejoins, and a bounded stress of calls racing state changes.
#include <sys/stat.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "disk_test_util.h"
#include "flashstor/storage/faulty_disk.h"
#include "flashstor/storage/health_checked_disk.h"
#include "flashstor/storage/local_disk.h"
#include "temp_dir.h"

#include "cmocka_cpp.h"

using flashstor::Code;
using flashstor::Err;
using flashstor::Result;
using flashstor::testing::MustOpenDisk;
using flashstor::testing::TempDir;
using namespace flashstor::storage;
using namespace std::chrono_literals;

namespace {

HealthOptions Short() {
  HealthOptions o;
  o.data_deadline = 300ms;
  o.meta_deadline = 300ms;
  o.probe_interval = 100ms;
  return o;
}

// A hung metadata call times out in 1 s; data calls (fsyncs) get 10 s on a loaded machine.
HealthOptions HangDeadlines() {
  HealthOptions o = Short();
  o.data_deadline = 10s;
  o.meta_deadline = 1s;
  return o;
}

// For tests not about deadlines: a loaded machine must not take the drive offline.
HealthOptions Relaxed() {
  HealthOptions o = Short();
  o.data_deadline = 10s;
  o.meta_deadline = 10s;
  return o;
}

std::shared_ptr<FaultyDisk> Faulty(const std::string& path) {
  return std::make_shared<FaultyDisk>(MustOpenDisk(path));
}

template <typename Pred>
bool WaitFor(Pred pred, std::chrono::milliseconds timeout) {
  auto end = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > end) return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

void test_latency_per_kind(void**) {
  TempDir dir;
  auto faulty = Faulty(dir.path());
  HealthCheckedDisk disk(dir.path(), faulty, Relaxed());
  assert_true(disk.make_volume("b").ok());
  faulty->set(DriveCall::kStat, FaultRule::Delay(20ms));
  assert_true(disk.write_all("b", "k", "%f", "x").ok());
  for (int i = 0; i < 3; ++i) assert_true(disk.stat("b", "k", "%f").has_value());
  CallLatency st = disk.latency(DriveCall::kStat);
  assert_int_equal(st.calls, 3);
  assert_true(st.avg_seconds >= 0.019 && st.max_seconds >= 0.019);
  assert_int_equal(disk.latency(DriveCall::kWriteAll).calls, 1);
  assert_int_equal(disk.latency(DriveCall::kReadAll).calls, 0);
  assert_true(disk.online());
}

void test_hung_call_takes_drive_offline_then_probe_returns_it(void**) {
  TempDir dir;
  auto faulty = Faulty(dir.path());
  HealthCheckedDisk disk(dir.path(), faulty, HangDeadlines());
  assert_true(disk.make_volume("b").ok());
  assert_true(disk.write_all("b", "k", "%f", "x").ok());
  faulty->set(DriveCall::kReadAll, FaultRule::Hang().on_file("%f"));
  std::atomic<bool> hung_returned{false};
  std::thread hung([&] {
    (void)disk.read_all("b", "k", "%f");
    hung_returned = true;
  });
  assert_true(faulty->wait_hung(1, 5s));
  assert_true(disk.online());  // not yet past its deadline
  auto t0 = std::chrono::steady_clock::now();
  assert_true(WaitFor([&] { return !disk.online(); }, 5s));
  assert_true(std::chrono::steady_clock::now() - t0 < 3s);  // deadline 1 s + a tick
  assert_int_equal(disk.offline_events(), 1);
  // Offline: calls fail fast and never reach the device.
  const uint64_t reached = faulty->calls(DriveCall::kStat);
  auto st = disk.stat("b", "k", "%f");
  assert_false(st.has_value());
  assert_int_equal(static_cast<int>(st.error().code()), static_cast<int>(Code::kDiskNotFound));
  assert_int_equal(faulty->calls(DriveCall::kStat), reached);
  assert_false(hung_returned.load());
  // The probe (disk_info, write/read of a tmp file) answers: back online with the call
  // still hung (only that one file hangs).
  assert_true(WaitFor([&] { return disk.online(); }, 5s));
  assert_true(disk.stat("b", "k", "%f").has_value());
  faulty->release_hangs();
  hung.join();
  assert_true(hung_returned.load());
  assert_true(disk.online());  // a call of the earlier connection does not count again
  assert_int_equal(disk.timeouts(), 1);
}

void test_probe_keeps_hung_drive_offline(void**) {
  TempDir dir;
  auto faulty = Faulty(dir.path());
  HealthCheckedDisk disk(dir.path(), faulty, HangDeadlines());
  faulty->set(DriveCall::kDiskInfo, FaultRule::Hang());
  std::thread hung([&] { (void)disk.disk_info(); });
  assert_true(WaitFor([&] { return !disk.online(); }, 5s));
  assert_true(faulty->wait_hung(2, 5s));  // the probe hangs too: it stays offline
  std::this_thread::sleep_for(1200ms);
  assert_false(disk.online());
  faulty->clear_all();
  faulty->release_hangs();  // the test's end: threads join
  hung.join();
  assert_true(WaitFor([&] { return disk.online(); }, 5s));
}

void test_slow_call_takes_drive_offline_on_return(void**) {
  TempDir dir;
  auto faulty = Faulty(dir.path());
  HealthOptions o = Short();
  o.probe_interval = 5s;  // stays offline for the test
  HealthCheckedDisk disk(dir.path(), faulty, o);
  faulty->set(DriveCall::kListVolumes, FaultRule::Delay(400ms));
  assert_true(disk.list_volumes().has_value());  // answers, but late
  assert_false(disk.online());
  assert_int_equal(disk.timeouts(), 1);
}

void test_vanished_drive_reconnects(void**) {
  TempDir dir;
  auto faulty = Faulty(dir.path());
  std::atomic<int> attempts{0};
  std::atomic<bool> present{false};
  auto reconnect = [&]() -> Result<Reconnected> {
    ++attempts;
    if (!present) return Err(Code::kDiskNotFound, "still gone");
    auto d = LocalDisk::Open(dir.path());
    if (!d) return std::unexpected(d.error());
    return Reconnected{std::shared_ptr<StorageApi>(std::move(*d)), true};
  };
  HealthCheckedDisk disk(dir.path(), faulty, Relaxed(), reconnect);
  std::atomic<int> rejoined{0};
  std::atomic<bool> reformatted{false};
  disk.set_on_online([&](bool r) {
    reformatted = r;
    ++rejoined;
  });
  faulty->set(DriveCall::kStatVolume, FaultRule::Fail(Code::kDiskNotFound));
  assert_false(disk.stat_volume("b").has_value());
  assert_false(disk.online());
  assert_true(WaitFor([&] { return attempts.load() >= 2; }, 2s));
  assert_false(disk.online());
  present = true;
  assert_true(WaitFor([&] { return disk.online(); }, 2s));
  assert_int_equal(rejoined.load(), 1);
  assert_true(reformatted.load());
  // The new connection is used: the fault lives in the old FaultyDisk only.
  assert_true(disk.make_volume("b").ok());
  assert_true(disk.stat_volume("b").has_value());
}

// A reader opened before a reconnect keeps the connection it came from alive (a LocalDisk
// reader and walker use their drive's root fd), and releases it when closed.
void test_reader_keeps_its_connection_across_reconnect(void**) {
  TempDir dir;
  auto faulty = Faulty(dir.path());
  std::weak_ptr<FaultyDisk> old = faulty;
  auto reconnect = [&]() -> Result<Reconnected> {
    auto d = LocalDisk::Open(dir.path());
    if (!d) return std::unexpected(d.error());
    return Reconnected{std::shared_ptr<StorageApi>(std::move(*d)), false};
  };
  HealthCheckedDisk disk(dir.path(), faulty, Relaxed(), reconnect);
  assert_true(disk.make_volume("b").ok());
  assert_true(disk.write_all("b", "k", "%f", "payload").ok());
  auto reader = disk.open_file("b", "k", "%f");
  assert_true(reader.has_value());
  faulty->set(DriveCall::kStatVolume, FaultRule::Fail(Code::kDiskNotFound));
  faulty.reset();  // only the drive (and the reader) hold it now
  assert_false(disk.stat_volume("b").has_value());
  assert_true(WaitFor([&] { return disk.online(); }, 2s));
  assert_true(disk.stat_volume("b").has_value());  // the new connection
  assert_false(old.expired());
  uint8_t buf[7];
  auto n = (*reader)->read_at(buf, 0);
  assert_true(n.has_value() && *n == 7);
  reader->reset();
  // The monitor thread may hold the old connection for the length of a probe in progress.
  assert_true(WaitFor([&] { return old.expired(); }, 2s));
}

void test_offline_at_start_rejoins(void**) {
  TempDir dir;
  std::string path = dir.sub("late");
  auto reconnect = [&]() -> Result<Reconnected> {
    auto d = LocalDisk::Open(path);
    if (!d) return std::unexpected(d.error());
    return Reconnected{std::shared_ptr<StorageApi>(std::move(*d)), false};
  };
  HealthCheckedDisk disk(path, nullptr, Relaxed(), reconnect);
  assert_false(disk.online());
  assert_int_equal(static_cast<int>(disk.disk_info().error().code()),
                   static_cast<int>(Code::kDiskNotFound));
  std::this_thread::sleep_for(250ms);
  assert_false(disk.online());
  assert_int_equal(mkdir(path.c_str(), 0700), 0);
  assert_true(WaitFor([&] { return disk.online(); }, 2s));
  assert_true(disk.disk_info().has_value());
}

// Many threads call while one drive flips between online and offline (a hang past the
// deadline, then released). Every call answers; the counts add up; nothing deadlocks.
void test_stress_calls_racing_state_changes(void**) {
  TempDir dir;
  auto faulty = Faulty(dir.path());
  HealthOptions o;
  o.data_deadline = 50ms;
  o.meta_deadline = 50ms;
  o.probe_interval = 20ms;
  HealthCheckedDisk disk(dir.path(), faulty, o);
  assert_true(disk.make_volume("b").ok());
  assert_true(disk.write_all("b", "k", "%f", "x").ok());
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> ok{0}, offline{0}, other{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&, t] {
      while (!stop) {
        auto r = t % 2 == 0 ? disk.read_all("b", "k", "%f") : Result<std::string>("x");
        if (t % 2 == 1) {
          auto w = disk.create_file("b", "k" + std::to_string(t), "%d.x/part.1");
          if (w) {
            uint8_t b[16] = {};
            flashstor::Status st = (*w)->write(b);
            if (st.ok()) st = (*w)->close();
            r = st.ok() ? Result<std::string>("x") : Result<std::string>(std::unexpected(st));
          } else {
            r = std::unexpected(w.error());
          }
        }
        if (r) {
          ++ok;
        } else if (r.error() == Code::kDiskNotFound) {
          ++offline;
        } else {
          ++other;
        }
      }
    });
  }
  auto end = std::chrono::steady_clock::now() + 2500ms;
  int flips = 0;
  while (std::chrono::steady_clock::now() < end) {
    faulty->set(DriveCall::kReadAll, FaultRule::Delay(80ms).on_file("%f").limit(1));
    WaitFor([&] { return !disk.online(); }, 500ms);
    WaitFor([&] { return disk.online(); }, 500ms);
    ++flips;
  }
  stop = true;
  for (auto& t : threads) t.join();
  assert_true(flips >= 3);
  assert_true(disk.offline_events() >= 3);
  assert_true(ok.load() > 0 && offline.load() > 0);
  assert_int_equal(other.load(), 0);
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_latency_per_kind),
      cmocka_unit_test(test_hung_call_takes_drive_offline_then_probe_returns_it),
      cmocka_unit_test(test_probe_keeps_hung_drive_offline),
      cmocka_unit_test(test_slow_call_takes_drive_offline_on_return),
      cmocka_unit_test(test_vanished_drive_reconnects),
      cmocka_unit_test(test_reader_keeps_its_connection_across_reconnect),
      cmocka_unit_test(test_offline_at_start_rejoins),
      cmocka_unit_test(test_stress_calls_racing_state_changes),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
