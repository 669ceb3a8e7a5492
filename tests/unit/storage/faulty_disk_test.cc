// Unit tests of FaultyDisk: errors per kind of call and file, windows of calls (skip/times),
// injected latency, hangs released from the test, faults after the real call, and shard
// writes/reads past an offset.
#include <chrono>
#include <cstring>
#include <memory>
#include <string>
#include <thread>

#include "disk_test_util.h"
#include "flashstor/storage/faulty_disk.h"
#include "flashstor/storage/local_disk.h"
#include "temp_dir.h"

#include "cmocka_cpp.h"

using flashstor::Code;
using flashstor::testing::MustOpenDisk;
using flashstor::testing::TempDir;
using namespace flashstor::storage;
using namespace std::chrono_literals;

namespace {

struct Fixture {
  TempDir dir;
  std::shared_ptr<FaultyDisk> disk;
  Fixture() {
    disk = std::make_shared<FaultyDisk>(MustOpenDisk(dir.path()));
    assert_true(disk->make_volume("b").ok());
  }
};

void test_error_by_kind_and_file(void**) {
  Fixture f;
  f.disk->set(DriveCall::kWriteAll, FaultRule::Fail(Code::kDiskFull).on_file("%m.json"));
  assert_int_equal(static_cast<int>(f.disk->write_all("b", "k", "%m.json", "x").code()),
                   static_cast<int>(Code::kDiskFull));
  assert_true(f.disk->write_all("b", "k", "%other", "x").ok());   // another file
  assert_true(f.disk->read_all("b", "k", "%other").has_value());  // another kind
  assert_int_equal(f.disk->calls(DriveCall::kWriteAll), 2);
  assert_int_equal(f.disk->injected(DriveCall::kWriteAll), 1);
  f.disk->clear(DriveCall::kWriteAll);
  assert_true(f.disk->write_all("b", "k", "%m.json", "x").ok());
}

void test_skip_then_times(void**) {
  Fixture f;
  // Two calls pass, the next one fails, then the rule is spent.
  f.disk->set(DriveCall::kStat, FaultRule::Fail(Code::kFaultyDisk).skipping(2).limit(1));
  assert_true(f.disk->write_all("b", "k", "%f", "x").ok());
  assert_true(f.disk->stat("b", "k", "%f").has_value());
  assert_true(f.disk->stat("b", "k", "%f").has_value());
  auto third = f.disk->stat("b", "k", "%f");
  assert_false(third.has_value());
  assert_int_equal(static_cast<int>(third.error().code()), static_cast<int>(Code::kFaultyDisk));
  assert_true(f.disk->stat("b", "k", "%f").has_value());
}

void test_latency(void**) {
  Fixture f;
  f.disk->set(DriveCall::kDiskInfo, FaultRule::Delay(60ms));
  auto t0 = std::chrono::steady_clock::now();
  assert_true(f.disk->disk_info().has_value());
  assert_true(std::chrono::steady_clock::now() - t0 >= 60ms);
}

void test_hang_until_released(void**) {
  Fixture f;
  f.disk->set(DriveCall::kReadAll, FaultRule::Hang());
  assert_true(f.disk->write_all("b", "k", "%f", "data").ok());
  bool done = false;
  std::thread t([&] {
    done = f.disk->read_all("b", "k", "%f").has_value();  // no cmocka asserts off the main thread
  });
  assert_true(f.disk->wait_hung(1, 5s));
  std::this_thread::sleep_for(50ms);
  assert_int_equal(f.disk->hung_now(), 1);
  f.disk->release_hangs();
  t.join();
  assert_true(done);
  assert_int_equal(f.disk->hung_now(), 0);
  assert_true(f.disk->read_all("b", "k", "%f").has_value());  // released: hangs pass
}

void test_after_call_and_hook(void**) {
  Fixture f;
  int hooked = 0;
  f.disk->set(DriveCall::kWriteAll,
              FaultRule::Fail(Code::kFaultyDisk).after_real_call().with_hook([&] { ++hooked; }));
  assert_false(f.disk->write_all("b", "k", "%f", "data").ok());
  f.disk->clear_all();
  assert_int_equal(hooked, 1);
  assert_true(f.disk->read_all("b", "k", "%f").has_value());  // the write did happen
}

void test_offsets(void**) {
  Fixture f;
  f.disk->set(DriveCall::kWrite, FaultRule::Fail(Code::kDiskFull).from(100));
  auto w = f.disk->create_file("b", "k", "%d.x/part.1");
  assert_true(w.has_value());
  uint8_t buf[64] = {};
  assert_true((*w)->write(buf).ok());   // 64 bytes
  assert_false((*w)->write(buf).ok());  // would reach 128 > 100
  f.disk->clear_all();
  auto w2 = f.disk->create_file("b", "k", "%d.x/part.2");
  assert_true((*w2)->write(buf).ok() && (*w2)->write(buf).ok() && (*w2)->close().ok());
  f.disk->set(DriveCall::kReadAt, FaultRule::Fail(Code::kFaultyDisk).from(64));
  auto r = f.disk->open_file("b", "k", "%d.x/part.2");
  assert_true(r.has_value());
  assert_true((*r)->read_at(std::span<uint8_t>(buf, 64), 0).has_value());
  assert_false((*r)->read_at(std::span<uint8_t>(buf, 64), 64).has_value());
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_error_by_kind_and_file),
      cmocka_unit_test(test_skip_then_times),
      cmocka_unit_test(test_latency),
      cmocka_unit_test(test_hang_until_released),
      cmocka_unit_test(test_after_call_and_hook),
      cmocka_unit_test(test_offsets),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
