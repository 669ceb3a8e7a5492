// Unit tests of healing: heal_object rebuilds removed, corrupted and truncated shards (and
// inline metadata) byte-identically on disk, removes leftovers of deleted objects, heals
// multipart objects; heal_objects purges leftovers no listing shows (data dirs of keys that
// have no metadata once past a grace period); the background drainer empties the heal
// queue; a wiped drive is re-formatted at start-up and refilled by the full
// scan, and blank drives beyond parity never make heal purge what the others still hold.
#include <sys/time.h>

#include <chrono>
#include <ctime>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "engine_test_util.h"
#include "flashstor/object/bucket_metadata.h"

#include "cmocka_cpp.h"

using namespace flashstor;
using namespace flashstor::testing;

namespace {

constexpr uint64_t kBlock = 1u << 20;

template <typename Pred>
bool WaitFor(Pred pred, int seconds = 20) {
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (std::chrono::steady_clock::now() < until) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return pred();
}

void test_heal_object_restores_shards(void**) {
  TempDir dir;
  auto paths = MakeDrives(dir, 6);
  auto e = MustOpen(paths, TestConfig());
  assert_true(e->make_bucket({}, "bucket").ok());
  std::string big = RandomData(3 * kBlock + 777, 31), small = RandomData(500, 32);
  assert_true(Put(*e, "bucket", "big", big).has_value());
  assert_true(Put(*e, "bucket", "small", small).has_value());
  std::vector<std::string> shard(6), meta(6), small_meta(6);
  for (size_t i = 0; i < 6; ++i) {
    shard[i] = ReadFile(ShardFile(paths[i], "bucket", "big"));
    meta[i] = ReadFile(paths[i] + "/bucket/big/%m.bin");
    small_meta[i] = ReadFile(paths[i] + "/bucket/small/%m.bin");
    assert_false(shard[i].empty());
  }
  RemoveAll(paths[0] + "/bucket/big");                      // shard and metadata gone
  CorruptByte(ShardFile(paths[1], "bucket", "big"), 5000);  // bitrot
  Truncate(ShardFile(paths[2], "bucket", "big"), 12345);    // torn file
  CorruptByte(paths[3] + "/bucket/small/%m.bin", -3);       // inline bitrot
  unlink((paths[4] + "/bucket/small/%m.bin").c_str());      // inline object missing
  auto r = e->heal_object({}, "bucket", "big");
  assert_true(r.status.ok());
  assert_int_equal(r.shards_healed, 3);
  assert_int_equal(r.drives_missing, 0);
  for (size_t i = 0; i < 6; ++i) {
    assert_true(ReadFile(ShardFile(paths[i], "bucket", "big")) == shard[i]);
    assert_true(ReadFile(paths[i] + "/bucket/big/%m.bin") == meta[i]);
  }
  r = e->heal_object({}, "bucket", "small");
  assert_int_equal(r.shards_healed, 2);
  for (size_t i = 0; i < 6; ++i) {
    assert_true(ReadFile(paths[i] + "/bucket/small/%m.bin") == small_meta[i]);
  }
  // Nothing left to do.
  assert_int_equal(e->heal_object({}, "bucket", "big").shards_healed, 0);
  assert_true(e->stats().bytes_verified > 3 * kBlock);
  assert_int_equal(e->stats().shards_healed, 5);
  // The healed drives carry real redundancy: lose three others and read on.
  for (size_t i = 3; i < 6; ++i) RemoveAll(paths[i] + "/bucket/big");
  assert_true(*Get(*e, "bucket", "big") == big);
}

// Bitrot in a noncurrent version's shard is found and rebuilt by the same heal as the
// current version's (before, only drives lacking a noncurrent version's record were healed).
void test_heal_verifies_noncurrent_versions(void**) {
  TempDir dir;
  auto paths = MakeDrives(dir, 4);
  auto e = MustOpen(paths, TestConfig());
  assert_true(e->make_bucket({}, "bucket").ok());
  assert_true(e->update_bucket_metadata({}, "bucket", [](object::BucketMetadata& m) {
                 m.versioning = object::VersioningState::kEnabled;
                 return Status::Ok();
               }).ok());
  const std::string v1 = RandomData(2 * kBlock + 99, 41), v2 = RandomData(kBlock + 5, 42);
  assert_true(Put(*e, "bucket", "k", v1).has_value());
  std::vector<std::string> old_shard(4), old_file(4);
  for (size_t i = 0; i < 4; ++i) {
    old_file[i] = ShardFile(paths[i], "bucket", "k");
    old_shard[i] = ReadFile(old_file[i]);
  }
  assert_true(Put(*e, "bucket", "k", v2).has_value());  // v1 is noncurrent now
  CorruptByte(old_file[1], 3000);
  Truncate(old_file[2], 100);
  auto r = e->heal_object({}, "bucket", "k");
  assert_true(r.status.ok());
  assert_int_equal(r.shards_healed, 2);
  for (size_t i = 0; i < 4; ++i) assert_true(ReadFile(old_file[i]) == old_shard[i]);
  assert_int_equal(e->heal_object({}, "bucket", "k").shards_healed, 0);  // nothing left to do
}

void test_heal_multipart_and_leftovers(void**) {
  TempDir dir;
  auto paths = MakeDrives(dir, 4);
  auto e = MustOpen(paths, TestConfig());
  assert_true(e->make_bucket({}, "bucket").ok());
  auto id = e->new_multipart_upload({}, "bucket", "mp", {}, hash::ChecksumAlgo::kNone);
  std::string p1 = RandomData(5 << 20, 41), p2 = RandomData(1000, 42);
  std::vector<object::CompletePart> parts;
  for (int n = 1; n <= 2; ++n) {
    const std::string& data = n == 1 ? p1 : p2;
    MemSource src(data);
    hash::HashingSource body(src, hash::Expectations{});
    auto part =
        e->put_object_part({}, "bucket", "mp", *id, n, body, static_cast<int64_t>(data.size()));
    parts.push_back({n, part->etag, ""});
  }
  assert_true(e->complete_multipart_upload({}, "bucket", "mp", *id, parts).has_value());
  std::string part2 = ReadFile(ShardFile(paths[3], "bucket", "mp", 2));
  unlink(ShardFile(paths[3], "bucket", "mp", 2).c_str());
  auto r = e->heal_object({}, "bucket", "mp");
  assert_true(r.status.ok());
  assert_int_equal(r.shards_healed, 2);  // one drive, both part files rewritten
  assert_true(ReadFile(ShardFile(paths[3], "bucket", "mp", 2)) == part2);
  RemoveAll(paths[0]);
  RemoveAll(paths[1]);
  assert_true(*Get(*e, "bucket", "mp") == p1 + p2);

  // Leftover metadata of a deleted object (a drive missed the delete) is removed.
  TempDir dir2;
  auto paths2 = MakeDrives(dir2, 4);
  auto e2 = MustOpen(paths2, TestConfig());
  assert_true(e2->make_bucket({}, "bucket").ok());
  assert_true(Put(*e2, "bucket", "gone", "bytes").has_value());
  std::string stale = ReadFile(paths2[2] + "/bucket/gone/%m.bin");
  assert_true(e2->delete_object({}, "bucket", "gone").ok());
  mkdir((paths2[2] + "/bucket/gone").c_str(), 0700);
  FILE* f = fopen((paths2[2] + "/bucket/gone/%m.bin").c_str(), "wb");
  fwrite(stale.data(), 1, stale.size(), f);
  fclose(f);
  auto gone = e2->heal_object({}, "bucket", "gone");
  assert_int_equal(gone.status.code(), Code::kNoSuchKey);
  assert_false(FileExists(paths2[2] + "/bucket/gone"));

  // A data dir left by a crash between its rename and the metadata write is removed.
  std::string data = RandomData(kBlock + 1, 43);
  assert_true(Put(*e2, "bucket", "orphan", data).has_value());
  std::string orphan = paths2[1] + "/bucket/orphan/%d.0b0c6f64-5f36-4a5b-9a43-6d1e5b3f2a10";
  assert_int_equal(mkdir(orphan.c_str(), 0700), 0);
  FILE* o = fopen((orphan + "/part.1").c_str(), "wb");
  fputs("junk", o);
  fclose(o);
  auto healthy = e2->heal_object({}, "bucket", "orphan");
  assert_true(healthy.status.ok());
  assert_int_equal(healthy.shards_healed, 0);
  assert_false(FileExists(orphan));
  assert_true(FileExists(ShardFile(paths2[1], "bucket", "orphan")));
  assert_true(*Get(*e2, "bucket", "orphan") == data);
}

void test_heal_objects_purges_what_listing_hides(void**) {
  TempDir dir;
  auto paths = MakeDrives(dir, 4);
  auto e = MustOpen(paths, TestConfig());
  assert_true(e->make_bucket({}, "bucket").ok());
  std::string data = RandomData(kBlock + 5, 44);
  assert_true(Put(*e, "bucket", "kept", data).has_value());
  assert_true(Put(*e, "bucket", "dangling", "cut short").has_value());
  // A first PUT that reached only drive 0 before the kill: never acknowledged, invisible.
  for (size_t i = 1; i < 4; ++i) RemoveAll(paths[i] + "/bucket/dangling");
  auto page = e->list_objects({}, "bucket", {});
  assert_int_equal(page->objects.size(), 1);
  assert_int_equal(e->get_object_info({}, "bucket", "dangling").error().code(), Code::kNoSuchKey);
  std::vector<object::HealResult> seen;
  assert_true(e->heal_objects({}, "bucket", [&](const object::HealResult& r) {
                 seen.push_back(r);
                 return true;
               }).ok());
  assert_int_equal(seen.size(), 2);  // the listing showed one key; the walk finds both
  for (const auto& r : seen) {
    if (r.key == "dangling") {
      assert_int_equal(r.status.code(), Code::kNoSuchKey);
      assert_int_equal(r.leftovers_removed, 1);
    } else {
      assert_true(r.status.ok());
      assert_int_equal(r.leftovers_removed, 0);
    }
  }
  assert_false(FileExists(paths[0] + "/bucket/dangling"));
  assert_true(*Get(*e, "bucket", "kept") == data);
  // Stopping early, and an unknown bucket.
  int calls = 0;
  assert_true(
      e->heal_objects({}, "bucket", [&](const object::HealResult&) { return ++calls < 1; }).ok());
  assert_int_equal(calls, 1);
  assert_int_equal(
      e->heal_objects({}, "nope", [](const object::HealResult&) { return true; }).code(),
      Code::kNoSuchBucket);
  // The system volume is no bucket: never walked.
  calls = 0;
  assert_int_equal(
      e->heal_objects({}, ".flashstor.sys", [&](const object::HealResult&) { return ++calls > 0; })
          .code(),
      Code::kInvalidBucketName);
  assert_int_equal(calls, 0);
}

// A data dir as a first PUT killed between moving it in and writing %m.bin leaves it, with
// its mtime age_s seconds in the past.
std::string PlantUncommitted(const std::string& drive, const std::string& key, int age_s) {
  std::string dir = drive + "/bucket/" + key;
  std::string data_dir = dir + "/%d.5f1c2a4e-0d7b-4c39-8e2a-" + std::to_string(100000 + age_s);
  assert_int_equal(system(("mkdir -p '" + data_dir + "'").c_str()), 0);
  FILE* f = fopen((data_dir + "/part.1").c_str(), "wb");
  fputs("shards of a write that never committed", f);
  fclose(f);
  timeval old[2] = {{time(nullptr) - age_s, 0}, {time(nullptr) - age_s, 0}};
  assert_int_equal(utimes(data_dir.c_str(), old), 0);
  return data_dir;
}

void test_heal_objects_reclaims_uncommitted_data_dirs(void**) {
  TempDir dir;
  auto paths = MakeDrives(dir, 4);
  auto e = MustOpen(paths, TestConfig());  // grace: one hour
  assert_true(e->make_bucket({}, "bucket").ok());
  std::string data = RandomData(kBlock + 9, 45);
  assert_true(Put(*e, "bucket", "a/kept", data).has_value());
  std::vector<std::string> stale, fresh;
  for (size_t i = 0; i < 3; ++i) stale.push_back(PlantUncommitted(paths[i], "a/cut", 7200));
  fresh.push_back(PlantUncommitted(paths[1], "fresh", 60));  // may still be committing
  std::map<std::string, object::HealResult> seen;
  assert_true(e->heal_objects({}, "bucket", [&](const object::HealResult& r) {
                 seen.emplace(r.key, r);
                 return true;
               }).ok());
  assert_int_equal(seen.size(), 3);
  assert_int_equal(seen.at("a/cut").status.code(), Code::kNoSuchKey);
  assert_int_equal(seen.at("a/cut").leftovers_removed, 3);
  assert_int_equal(seen.at("fresh").status.code(), Code::kNoSuchKey);
  assert_int_equal(seen.at("fresh").leftovers_removed, 0);
  assert_true(seen.at("a/kept").status.ok());
  for (size_t i = 0; i < 3; ++i) assert_false(FileExists(paths[i] + "/bucket/a/cut"));
  assert_true(FileExists(fresh[0] + "/part.1"));
  assert_true(*Get(*e, "bucket", "a/kept") == data);
  // Once past the (configured) grace period, the fresh one goes too.
  auto config = TestConfig();
  config.uncommitted_grace_seconds = 30;
  e.reset();
  auto e2 = MustOpen(paths, config);
  seen.clear();
  assert_true(e2->heal_objects({}, "bucket", [&](const object::HealResult& r) {
                  seen.emplace(r.key, r);
                  return true;
                }).ok());
  assert_int_equal(seen.at("fresh").leftovers_removed, 1);
  assert_false(FileExists(paths[1] + "/bucket/fresh"));
  // A heal of the one key, named by the caller, removes them at once.
  PlantUncommitted(paths[2], "named", 0);
  auto r = e2->heal_object({}, "bucket", "named");
  assert_int_equal(r.status.code(), Code::kNoSuchKey);
  assert_int_equal(r.leftovers_removed, 1);
  assert_false(FileExists(paths[2] + "/bucket/named"));
}

void test_background_heal_queue(void**) {
  TempDir dir;
  auto paths = MakeDrives(dir, 4);
  auto config = TestConfig();
  config.background = true;
  config.scan_objects_per_second = 0;
  auto e = MustOpen(paths, config);
  assert_true(e->make_bucket({}, "bucket").ok());
  std::string data = RandomData(kBlock + 5, 51);
  assert_true(Put(*e, "bucket", "k", data).has_value());
  std::string shard = ShardFile(paths[0], "bucket", "k");
  std::string original = ReadFile(shard);
  CorruptByte(shard, 40);
  assert_true(*Get(*e, "bucket", "k") == data);  // reconstructs and queues the heal
  assert_true(WaitFor([&] { return e->stats().heal_queue_processed >= 1; }));
  assert_true(ReadFile(ShardFile(paths[0], "bucket", "k")) == original);
  assert_int_equal(e->stats().heal_queue_length, 0);
}

void test_wiped_drive_refilled_by_scan(void**) {
  TempDir dir;
  auto paths = MakeDrives(dir, 4);
  std::vector<std::string> data;
  {
    auto e = MustOpen(paths, TestConfig());
    assert_true(e->make_bucket({}, "bucket").ok());
    for (int i = 0; i < 20; ++i) {
      data.push_back(RandomData(static_cast<size_t>(i) * 70000, 60 + i));
      assert_true(Put(*e, "bucket", "obj/" + std::to_string(i), data.back()).has_value());
    }
  }
  RemoveAll(paths[1]);
  mkdir(paths[1].c_str(), 0700);  // a new, empty disk in the old place
  auto config = TestConfig();
  config.background = true;
  config.scan_objects_per_second = 0;  // only the start-up pass for the re-formatted drive
  auto e = MustOpen(paths, config);
  assert_true(WaitFor([&] { return e->stats().scan_cycles >= 1; }));
  assert_true(FileExists(paths[1] + "/.flashstor.sys/format.json"));
  auto s = e->stats();
  assert_int_equal(s.last_cycle_objects, 20);
  assert_int_equal(s.objects_scanned, 20);
  assert_int_equal(s.objects_healed, 20);
  for (int i = 0; i < 20; ++i) {
    assert_true(FileExists(paths[1] + "/bucket/obj/" + std::to_string(i) + "/%m.bin"));
  }
  // Drives 0 and 2 lost: the refilled drive 1 and drive 3 serve everything.
  RemoveAll(paths[0]);
  RemoveAll(paths[2]);
  for (int i = 0; i < 20; ++i) {
    auto got = Get(*e, "bucket", "obj/" + std::to_string(i));
    assert_true(got.has_value());
    assert_true(*got == data[static_cast<size_t>(i)]);
  }
}

void test_blank_drives_beyond_parity_purge_nothing(void**) {
  // 16 drives (k=12, m=4): five come up empty (say, disks not mounted under their mount
  // points). The format quorum still holds, so they are re-formatted; but until a full scan
  // healed them, their "not found" is no proof of absence. The eleven drives that still
  // hold the object must keep it: it answers "no quorum" (503), not 404, and heal removes
  // nothing, so remounting the real disks brings it back.
  TempDir dir;
  auto paths = MakeDrives(dir, 16);
  std::string data = RandomData(300000, 70);
  {
    auto e = MustOpen(paths, TestConfig());
    assert_true(e->make_bucket({}, "bucket").ok());
    assert_true(Put(*e, "bucket", "k", data).has_value());
  }
  for (size_t i = 11; i < 16; ++i) {
    RemoveAll(paths[i]);
    mkdir(paths[i].c_str(), 0700);
  }
  auto e = MustOpen(paths, TestConfig());  // no background scan: they stay refilling
  assert_int_equal(e->get_object_info({}, "bucket", "k").error().code(), Code::kReadQuorum);
  auto r = e->heal_object({}, "bucket", "k");
  assert_int_equal(r.status.code(), Code::kReadQuorum);
  assert_int_equal(r.leftovers_removed, 0);
  for (size_t i = 0; i < 11; ++i) {
    assert_true(FileExists(paths[i] + "/bucket/k/%m.bin"));
    assert_true(FileExists(ShardFile(paths[i], "bucket", "k")));
  }
}

void test_heal_queue_bounds(void**) {
  object::HealQueue q(3);
  assert_true(q.push("b", "1"));
  assert_true(q.push("b", "1"));  // de-duplicated
  assert_true(q.push("b", "2"));
  assert_true(q.push("b", "3"));
  assert_false(q.push("b", "4"));
  assert_int_equal(q.size(), 3);
  assert_int_equal(q.overflow(), 1);
  auto t = q.pop(std::chrono::milliseconds(0));
  assert_string_equal(t->key.c_str(), "1");
  assert_true(q.push("b", "1"));  // can be queued again once taken
  q.close();
  assert_false(q.pop(std::chrono::milliseconds(10)).has_value());
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_heal_object_restores_shards),
      cmocka_unit_test(test_heal_verifies_noncurrent_versions),
      cmocka_unit_test(test_heal_multipart_and_leftovers),
      cmocka_unit_test(test_heal_objects_purges_what_listing_hides),
      cmocka_unit_test(test_heal_objects_reclaims_uncommitted_data_dirs),
      cmocka_unit_test(test_background_heal_queue),
      cmocka_unit_test(test_wiped_drive_refilled_by_scan),
      cmocka_unit_test(test_blank_drives_beyond_parity_purge_nothing),
      cmocka_unit_test(test_heal_queue_bounds),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
