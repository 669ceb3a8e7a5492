// Unit tests of degraded reads: a vanished drive, a corrupted byte, a truncated shard and
// corrupt inline data still return exact bytes (ranges too) while losses beyond parity fail
// with kReadQuorum; damaged reads queue the object for healing.
#include <string>
#include <vector>

#include "engine_test_util.h"

#include "cmocka_cpp.h"

using namespace flashstor;
using namespace flashstor::testing;

namespace {

constexpr uint64_t kBlock = 1u << 20;

// Damages up to `losses` drives in turn (vanish, corrupt, truncate, corrupt, ...) and checks
// the object stays exact until the losses exceed the parity.
void Degrade(int drives, int parity) {
  TempDir dir;
  auto paths = MakeDrives(dir, drives);
  auto e = MustOpen(paths, TestConfig());
  assert_true(e->make_bucket({}, "bucket").ok());
  const std::string big = RandomData(3 * kBlock + 777, 21);
  const std::string small = RandomData(1000, 22);
  assert_true(Put(*e, "bucket", "big", big).has_value());
  assert_true(Put(*e, "bucket", "small", small).has_value());
  for (int loss = 0; loss <= parity; ++loss) {
    const std::string& drive = paths[static_cast<size_t>(loss)];
    std::string shard = ShardFile(drive, "bucket", "big");
    assert_true(FileExists(shard));
    switch (loss % 3) {
      case 0:
        RemoveAll(drive);  // the whole drive vanishes
        break;
      case 1:
        CorruptByte(shard, 100);
        CorruptByte(drive + "/bucket/small/%m.bin", -5);  // inline shard bytes
        break;
      case 2:
        Truncate(shard, 1000);
        CorruptByte(drive + "/bucket/small/%m.bin", -1);
        break;
    }
    auto got = Get(*e, "bucket", "big");
    if (loss < parity) {
      assert_true(got.has_value());
      assert_true(*got == big);
      assert_true(*Get(*e, "bucket", "small") == small);
      auto range = Get(*e, "bucket", "big", kBlock - 5, 10);
      assert_true(*range == big.substr(kBlock - 5, 10));
      range = Get(*e, "bucket", "big", big.size() - 1, 1);
      assert_true(*range == big.substr(big.size() - 1));
    }
  }
  // parity + 1 drives damaged: no longer readable, and it says so.
  auto got = Get(*e, "bucket", "big");
  assert_false(got.has_value());
  assert_int_equal(got.error().code(), Code::kReadQuorum);
  got = Get(*e, "bucket", "small");
  assert_false(got.has_value());
  assert_int_equal(got.error().code(), Code::kReadQuorum);
  assert_true(e->heal_queue().size() > 0);
}

void test_degraded_4_drives(void**) {
  Degrade(4, 2);
}
void test_degraded_6_drives(void**) {
  Degrade(6, 3);
}
void test_degraded_16_drives(void**) {
  Degrade(16, 4);
}

void test_single_drive_detects_corruption(void**) {
  TempDir dir;
  auto paths = MakeDrives(dir, 1);
  auto e = MustOpen(paths, TestConfig());
  assert_true(e->make_bucket({}, "bucket").ok());
  std::string data = RandomData(kBlock + 10, 3);
  assert_true(Put(*e, "bucket", "k", data).has_value());
  assert_true(Put(*e, "bucket", "k2", data).has_value());
  // Rot in the first block: open_object itself fails (the S3 layer can still send a 503).
  CorruptByte(ShardFile(paths[0], "bucket", "k"), 100);
  auto opened = e->open_object({}, "bucket", "k");
  assert_false(opened.has_value());
  assert_int_equal(opened.error().code(), Code::kReadQuorum);
  // Rot in the second block: the first block still reads, the second never returns bad bytes.
  CorruptByte(ShardFile(paths[0], "bucket", "k2"), -3);
  auto head = Get(*e, "bucket", "k2", 0, 100);
  assert_true(head.has_value());
  assert_true(*head == data.substr(0, 100));
  auto reader = e->open_object({}, "bucket", "k2");
  assert_true(reader.has_value());
  auto all = ReadAll(**reader);
  assert_false(all.has_value());
  assert_int_equal(all.error().code(), Code::kReadQuorum);
}

void test_metadata_disagreement(void**) {
  TempDir dir;
  auto paths = MakeDrives(dir, 4);
  auto e = MustOpen(paths, TestConfig());
  assert_true(e->make_bucket({}, "bucket").ok());
  assert_true(Put(*e, "bucket", "k", "version one").has_value());
  // Drive 0 keeps a stale copy of the metadata while the others move on.
  std::string stale = ReadFile(paths[0] + "/bucket/k/%m.bin");
  assert_true(Put(*e, "bucket", "k", "version two").has_value());
  {
    FILE* f = fopen((paths[0] + "/bucket/k/%m.bin").c_str(), "wb");
    fwrite(stale.data(), 1, stale.size(), f);
    fclose(f);
  }
  assert_true(*Get(*e, "bucket", "k") == "version two");
  assert_int_equal(e->heal_queue().size(), 1);
  // A minority copy of an object that a quorum does not have is not visible.
  assert_true(e->delete_object({}, "bucket", "k").ok());
  {
    mkdir((paths[1] + "/bucket/k").c_str(), 0700);
    FILE* f = fopen((paths[1] + "/bucket/k/%m.bin").c_str(), "wb");
    fwrite(stale.data(), 1, stale.size(), f);
    fclose(f);
  }
  assert_int_equal(e->get_object_info({}, "bucket", "k").error().code(), Code::kNoSuchKey);
  assert_true(e->list_objects({}, "bucket", {})->objects.empty());  // listing agrees with GET
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_degraded_4_drives),
      cmocka_unit_test(test_degraded_6_drives),
      cmocka_unit_test(test_degraded_16_drives),
      cmocka_unit_test(test_single_drive_detects_corruption),
      cmocka_unit_test(test_metadata_disagreement),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
