// Unit tests of write safety: a body that fails or mismatches its digest before commit
// leaves nothing visible (and no temp files); an overwrite that fails keeps the old object;
// missing write quorum fails cleanly; a commit that reaches too few drives is rolled back;
// an overwrite keeps the old version on a drive until its cleanup ran, and heal settles it;
// a drive failing mid-write is dropped and queued for healing; drives filling up answer
// "storage full", not "no quorum".
#include <dirent.h>

#include <filesystem>
#include <string>
#include <vector>

#include "engine_test_util.h"
#include "faulty_engine.h"
#include "flashstor/mem/byte_vector_pool.h"
#include "flashstor/object/set_layout.h"
#include "flashstor/storage/local_disk.h"

#include "cmocka_cpp.h"

using namespace flashstor;
using namespace flashstor::testing;

namespace {

constexpr uint64_t kBlock = 1u << 20;

size_t CountEntries(const std::string& dir, std::string_view prefix = "") {
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return 0;
  size_t n = 0;
  while (dirent* e = readdir(d)) {
    std::string_view name = e->d_name;
    if (name != "." && name != ".." && name.starts_with(prefix)) ++n;
  }
  closedir(d);
  return n;
}

void ExpectNothingLeft(const std::vector<std::string>& paths, const std::string& key) {
  for (const auto& p : paths) {
    assert_int_equal(CountEntries(p + "/.flashstor.sys/tmp"), 0);
    assert_false(FileExists(p + "/bucket/" + key));
  }
}

Result<object::ObjectInfo> PutFailing(object::ObjectLayer& e, const std::string& key,
                                      const std::string& data, int64_t fail_after) {
  MemSource src(data, 65536, fail_after);
  hash::HashingSource body(src, hash::Expectations{});
  return e.put_object({}, "bucket", key, body, static_cast<int64_t>(data.size()), {});
}

void test_failed_body_leaves_nothing(void**) {
  TempDir dir;
  auto paths = MakeDrives(dir, 4);
  auto e = MustOpen(paths, TestConfig());
  assert_true(e->make_bucket({}, "bucket").ok());
  std::string big = RandomData(3 * kBlock, 1);
  for (int64_t fail_at :
       {0L, 1000L, static_cast<long>(kBlock), static_cast<long>(2 * kBlock + 5)}) {
    auto r = PutFailing(*e, "k", big, fail_at);
    assert_false(r.has_value());
    assert_int_equal(r.error().code(), Code::kIncompleteBody);
    assert_int_equal(e->get_object_info({}, "bucket", "k").error().code(), Code::kNoSuchKey);
    ExpectNothingLeft(paths, "k");
  }
  // Wrong Content-MD5: the digest check at EOF fails before anything is committed.
  std::string data = RandomData(5000, 2);
  MemSource src(data);
  hash::Expectations ex;
  ex.content_md5 = std::array<unsigned char, 16>{};
  hash::HashingSource body(src, ex);
  auto r = e->put_object({}, "bucket", "md5", body, static_cast<int64_t>(data.size()), {});
  assert_int_equal(r.error().code(), Code::kBadDigest);
  ExpectNothingLeft(paths, "md5");
  // Announced size larger than the body.
  MemSource src2(data);
  hash::HashingSource body2(src2, hash::Expectations{});
  r = e->put_object({}, "bucket", "short", body2, 6000, {});
  assert_int_equal(r.error().code(), Code::kIncompleteBody);
  ExpectNothingLeft(paths, "short");
  // Announced shorter than a block, sent longer (3 MiB): the body buffer is the announced
  // size plus one byte, so the rest is read in pieces of that size and refused at its end
  // (under ASan, a read past that buffer would fail here).
  for (int64_t announced : {100L, 300'000L}) {
    const std::string long_body = RandomData(3 * kBlock, 3);
    MemSource src3(long_body);
    hash::HashingSource body3(src3, hash::Expectations{});
    r = e->put_object({}, "bucket", "long", body3, announced, {});
    assert_false(r.has_value());
    assert_int_equal(r.error().code(), Code::kIncompleteBody);
    ExpectNothingLeft(paths, "long");
  }
  auto list = e->list_objects({}, "bucket", {});
  assert_true(list->objects.empty());
}

void test_failed_overwrite_keeps_old(void**) {
  TempDir dir;
  auto paths = MakeDrives(dir, 4);
  auto e = MustOpen(paths, TestConfig());
  assert_true(e->make_bucket({}, "bucket").ok());
  std::string v1 = RandomData(2 * kBlock + 3, 3);
  assert_true(Put(*e, "bucket", "k", v1).has_value());
  assert_false(PutFailing(*e, "k", RandomData(3 * kBlock, 4), kBlock + 7).has_value());
  assert_true(*Get(*e, "bucket", "k") == v1);
  for (const auto& p : paths) assert_int_equal(CountEntries(p + "/bucket/k", "%d."), 1);
}

void test_write_quorum_lost(void**) {
  TempDir dir;
  auto paths = MakeDrives(dir, 4);
  auto e = MustOpen(paths, TestConfig());
  assert_true(e->make_bucket({}, "bucket").ok());
  RemoveAll(paths[0]);
  // k = m = 2: write quorum is 3, three drives left.
  std::string data = RandomData(kBlock + 1, 5);
  assert_true(Put(*e, "bucket", "ok", data).has_value());
  assert_true(*Get(*e, "bucket", "ok") == data);
  RemoveAll(paths[1]);
  auto r = Put(*e, "bucket", "lost", data);
  assert_false(r.has_value());
  assert_int_equal(r.error().code(), Code::kWriteQuorum);
  assert_int_equal(Put(*e, "bucket", "tiny", "x").error().code(), Code::kWriteQuorum);
  assert_int_equal(e->get_object_info({}, "bucket", "lost").error().code(), Code::kNoSuchKey);
  for (size_t i = 2; i < 4; ++i) {
    assert_false(FileExists(paths[i] + "/bucket/lost"));
    assert_int_equal(CountEntries(paths[i] + "/.flashstor.sys/tmp"), 0);
  }
  assert_true(*Get(*e, "bucket", "ok") == data);  // two of four still read
}

void test_commit_rolled_back(void**) {
  FaultyEngine f(4);
  std::string v1 = RandomData(kBlock + 100, 6);
  std::string small1 = "small v1";
  assert_true(Put(*f.e, "bucket", "k", v1).has_value());
  assert_true(Put(*f.e, "bucket", "s", small1).has_value());
  std::string meta0 = ReadFile(f.paths[0] + "/bucket/k/%m.bin");
  f.faulty[2]->set(storage::DriveCall::kWriteAll,
                   storage::FaultRule::Fail(Code::kFaultyDisk).on_file(storage::kMetaFile));
  f.faulty[3]->set(storage::DriveCall::kWriteAll,
                   storage::FaultRule::Fail(Code::kFaultyDisk).on_file(storage::kMetaFile));
  // Two of four commit: below the write quorum of 3, so both are rolled back.
  auto r = Put(*f.e, "bucket", "k", RandomData(2 * kBlock, 7));
  assert_int_equal(r.error().code(), Code::kWriteQuorum);
  assert_int_equal(Put(*f.e, "bucket", "s", "small v2").error().code(), Code::kWriteQuorum);
  assert_int_equal(Put(*f.e, "bucket", "new", "x").error().code(), Code::kWriteQuorum);
  f.faulty[2]->clear(storage::DriveCall::kWriteAll);
  f.faulty[3]->clear(storage::DriveCall::kWriteAll);
  assert_true(*Get(*f.e, "bucket", "k") == v1);
  assert_true(*Get(*f.e, "bucket", "s") == small1);
  assert_int_equal(f.e->get_object_info({}, "bucket", "new").error().code(), Code::kNoSuchKey);
  assert_true(ReadFile(f.paths[0] + "/bucket/k/%m.bin") == meta0);
  for (const auto& p : f.paths) {
    assert_int_equal(CountEntries(p + "/bucket/k", "%d."), 1);
    assert_false(FileExists(p + "/bucket/new"));
  }
}

// Versions (current first) in one drive's %m.bin.
object::MetaVersions DriveVersions(const std::string& drive, const std::string& key) {
  auto v = object::DecodeMetaVersions(ReadFile(drive + "/bucket/" + key + "/%m.bin"));
  assert_true(v.has_value());
  return *v;
}

void test_overwrite_keeps_old_version_until_quorum(void**) {
  // 16 drives: k=12, m=4. A commit cut short could leave the old version on only 5 drives,
  // so the old version rides along until the quorum answered.
  FaultyEngine f(16);
  std::string v1 = RandomData(kBlock + 100, 16), v2 = RandomData(kBlock + 200, 17);
  assert_true(Put(*f.e, "bucket", "k", v1).has_value());
  assert_true(Put(*f.e, "bucket", "s", "inline v1").has_value());
  // Drive 0 takes the commit's first metadata write (new version in front of the old one)
  // and fails the second (the new version alone, once the quorum answered).
  f.faulty[0]->set(storage::DriveCall::kWriteAll, FailMetaWritesAfter(1));
  assert_true(Put(*f.e, "bucket", "k", v2).has_value());
  f.faulty[0]->set(storage::DriveCall::kWriteAll, FailMetaWritesAfter(1));
  assert_true(Put(*f.e, "bucket", "s", "inline v2").has_value());
  f.faulty[0]->clear(storage::DriveCall::kWriteAll);
  auto kept = DriveVersions(f.paths[0], "k");
  assert_int_equal(kept.size(), 2);
  assert_int_equal(CountEntries(f.paths[0] + "/bucket/k", "%d."), 2);  // old data stays
  assert_int_equal(DriveVersions(f.paths[0], "s").size(), 2);
  assert_false(DriveVersions(f.paths[0], "s")[1].inline_data.empty());
  // The drives that completed hold the new version alone, without the old data.
  for (size_t d = 1; d < 16; ++d) {
    assert_int_equal(DriveVersions(f.paths[d], "k").size(), 1);
    assert_int_equal(CountEntries(f.paths[d] + "/bucket/k", "%d."), 1);
  }
  // Reads, HEAD and listing agree on the new version.
  assert_true(*Get(*f.e, "bucket", "k") == v2);
  assert_true(*Get(*f.e, "bucket", "s") == "inline v2");
  assert_int_equal(f.e->get_object_info({}, "bucket", "k")->size, v2.size());
  auto page = f.e->list_objects({}, "bucket", {});
  assert_true(page.has_value());
  assert_int_equal(page->objects.size(), 2);
  assert_int_equal(page->objects[0].size, v2.size());
  // Heal settles drive 0: the new version alone, the old data dir gone.
  for (const char* key : {"k", "s"}) {
    auto r = f.e->heal_object({}, "bucket", key);
    assert_true(r.status.ok());
    assert_int_equal(r.shards_healed, 0);
    assert_int_equal(DriveVersions(f.paths[0], key).size(), 1);
  }
  assert_true(SameVersion(DriveVersions(f.paths[0], "k")[0], kept[0]));
  assert_int_equal(CountEntries(f.paths[0] + "/bucket/k", "%d."), 1);
  assert_true(*Get(*f.e, "bucket", "k") == v2);
  assert_true(*Get(*f.e, "bucket", "s") == "inline v2");
}

// A writer whose lease on the key ran out before its commit (a slow drive here; a paused
// process or a partition with a distributed lock) is fenced off: the commit refuses its
// stale token before writing anything, and the old version stays.
void test_commit_with_an_expired_lease_is_fenced(void**) {
  FaultyEngine f(4, 0, "/tmp", 100);
  std::string v1 = RandomData(kBlock + 100, 20);
  assert_true(Put(*f.e, "bucket", "k", v1).has_value());
  // The commit reads the key's metadata under the lock (versions to keep): 300 ms per drive.
  for (auto& disk : f.faulty) {
    disk->set(
        storage::DriveCall::kReadAll,
        storage::FaultRule::Delay(std::chrono::milliseconds(300)).on_file(storage::kMetaFile));
  }
  auto r = Put(*f.e, "bucket", "k", RandomData(kBlock + 200, 21));
  for (auto& disk : f.faulty) disk->clear(storage::DriveCall::kReadAll);
  assert_false(r.has_value());
  assert_int_equal(r.error().code(), Code::kDeadlineExceeded);
  assert_true(*Get(*f.e, "bucket", "k") == v1);
  for (const auto& p : f.paths) assert_int_equal(CountEntries(p + "/bucket/k", "%d."), 1);
  // With time to spare, the same overwrite commits.
  std::string v2 = RandomData(kBlock + 300, 22);
  assert_true(Put(*f.e, "bucket", "k", v2).has_value());
  assert_true(*Get(*f.e, "bucket", "k") == v2);
}

void test_overwrite_replaces_when_k_le_m_plus_1(void**) {
  // 4 drives: k=m=2, write quorum 3. A commit cut short leaves the old version on at least
  // 2 drives, its k, so the commit replaces it in one metadata write per drive.
  FaultyEngine f(4);
  std::string v1 = RandomData(kBlock + 100, 18), v2 = RandomData(kBlock + 200, 19);
  assert_true(Put(*f.e, "bucket", "k", v1).has_value());
  for (auto& disk : f.faulty) disk->set(storage::DriveCall::kWriteAll, FailMetaWritesAfter(1));
  assert_true(Put(*f.e, "bucket", "k", v2).has_value());
  for (size_t d = 0; d < 4; ++d) {
    assert_int_equal(f.faulty[d]->injected(storage::DriveCall::kWriteAll), 0);  // one write
    f.faulty[d]->clear(storage::DriveCall::kWriteAll);
    assert_int_equal(DriveVersions(f.paths[d], "k").size(), 1);
    assert_int_equal(CountEntries(f.paths[d] + "/bucket/k", "%d."), 1);
  }
  assert_true(*Get(*f.e, "bucket", "k") == v2);
}

void test_drive_failing_mid_write(void**) {
  FaultyEngine f(4);
  f.faulty[1]->set(storage::DriveCall::kWrite,
                   storage::FaultRule::Fail(Code::kFaultyDisk).from(300000));
  std::string data = RandomData(3 * kBlock, 8);
  auto r = Put(*f.e, "bucket", "k", data);
  assert_true(r.has_value());  // three drives still make the quorum
  f.faulty[1]->clear(storage::DriveCall::kWrite);
  assert_false(FileExists(ShardFile(f.paths[1], "bucket", "k")));
  assert_int_equal(f.e->heal_queue().size(), 1);
  auto task = f.e->heal_queue().pop(std::chrono::milliseconds(0));
  auto healed = f.e->heal_object({}, task->bucket, task->key);
  assert_true(healed.status.ok());
  assert_int_equal(healed.shards_healed, 1);
  assert_true(FileExists(ShardFile(f.paths[1], "bucket", "k")));
  // Drives 0 and 2 gone: 1 (healed) and 3 must serve the object together.
  RemoveAll(f.paths[0]);
  RemoveAll(f.paths[2]);
  assert_true(*Get(*f.e, "bucket", "k") == data);
}

void test_drives_full_mid_stream(void**) {
  // k = m = 2, write quorum 3. Drives that run out of space during a streamed write (ENOSPC
  // after two blocks) fail the PUT as "storage full" (507), not as lost quorum (503, which
  // SDKs retry forever), whenever their space is what the quorum lacked.
  FaultyEngine f(4);
  std::string before = RandomData(kBlock + 3, 11);
  assert_true(Put(*f.e, "bucket", "before", before).has_value());
  std::string data = RandomData(6 * kBlock, 12);
  const int64_t two_blocks = 2 * (kBlock / 2 + 12);
  const storage::FaultRule full_after_two_blocks =
      storage::FaultRule::Fail(Code::kDiskFull).from(two_blocks);
  for (size_t i : {0, 1}) f.faulty[i]->set(storage::DriveCall::kWrite, full_after_two_blocks);
  auto r = Put(*f.e, "bucket", "big", data);
  assert_false(r.has_value());
  assert_int_equal(r.error().code(), Code::kDiskFull);
  ExpectNothingLeft(f.paths, "big");
  // Every drive full.
  for (size_t i : {2, 3}) f.faulty[i]->set(storage::DriveCall::kWrite, full_after_two_blocks);
  assert_int_equal(Put(*f.e, "bucket", "big", data).error().code(), Code::kDiskFull);
  ExpectNothingLeft(f.paths, "big");
  // Two faulty drives cost the quorum whatever the full one does: 503.
  for (size_t i : {0, 1}) {
    f.faulty[i]->set(storage::DriveCall::kWrite,
                     storage::FaultRule::Fail(Code::kFaultyDisk).from(two_blocks));
  }
  f.faulty[3]->clear(storage::DriveCall::kWrite);
  assert_int_equal(Put(*f.e, "bucket", "big", data).error().code(), Code::kWriteQuorum);
  ExpectNothingLeft(f.paths, "big");
  // A small (inline) write whose metadata two full drives refuse: 507 as well.
  for (auto& d : f.faulty) d->clear(storage::DriveCall::kWrite);
  for (size_t i : {0, 1}) {
    f.faulty[i]->set(storage::DriveCall::kWriteAll,
                     storage::FaultRule::Fail(Code::kDiskFull).on_file(storage::kMetaFile));
  }
  assert_int_equal(Put(*f.e, "bucket", "small", "tiny").error().code(), Code::kDiskFull);
  for (auto& d : f.faulty) d->clear(storage::DriveCall::kWriteAll);
  // What was acknowledged before is intact, and the drives take writes again.
  assert_true(*Get(*f.e, "bucket", "before") == before);
  assert_true(Put(*f.e, "bucket", "big", data).has_value());
  assert_true(*Get(*f.e, "bucket", "big") == data);
}

void test_shard_buffers_recycled_without_stale_bytes(void**) {
  // A PUT's shard buffers go back to mem::ShardBuffers() (the drive writers' destructors, the
  // stripe at the end of write_stripes) and the next PUT's stripes are made of them,
  // unzeroed: every byte a drive gets must still be that object's, padding included.
  TempDir dir;
  auto paths = MakeDrives(dir, 4);
  auto e = MustOpen(paths, TestConfig());
  assert_true(e->make_bucket({}, "bucket").ok());
  mem::ShardBuffers().clear();
  const std::string first = RandomData(2 * kBlock, 7);
  assert_true(Put(*e, "bucket", "first", first).has_value());
  assert_true(mem::ShardBuffers().bytes() >= 2 * (kBlock / 2));  // given back
  // Shorter than a block past the first, and odd: a short last block with padding, and
  // shards smaller than the recycled buffers.
  for (size_t size : {kBlock + 5, 3 * kBlock / 2 + 1, 2 * kBlock - 3}) {
    const std::string data = RandomData(size, static_cast<uint32_t>(size));
    assert_true(Put(*e, "bucket", "k", data).has_value());
    auto got = Get(*e, "bucket", "k");
    assert_true(got.has_value());
    assert_true(*got == data);
  }
  // Reads with two drives' shards gone rebuild from parity for one of the two pairs (the data
  // shards are on two drives): parity encoded from stale bytes would show there.
  for (size_t pair : {0u, 2u}) {
    const std::string data = RandomData(3 * kBlock / 2 + 1, 9 + static_cast<uint32_t>(pair));
    assert_true(Put(*e, "bucket", "k", data).has_value());
    std::filesystem::remove_all(paths[pair] + "/bucket/k");
    std::filesystem::remove_all(paths[pair + 1] + "/bucket/k");
    auto got = Get(*e, "bucket", "k");
    assert_true(got.has_value());
    assert_true(*got == data);
  }
}

// The drive tasks one PUT of `data` queues, announced (size known) or not (size -1).
uint64_t TasksOfPut(object::ErasureSets& e, const std::string& key, const std::string& data,
                    bool announced) {
  const uint64_t before = e.io_pool().tasks_queued();
  MemSource src(data, 65536);
  hash::HashingSource body(src, hash::Expectations{});
  auto r =
      e.put_object({}, "bucket", key, body, announced ? static_cast<int64_t>(data.size()) : -1, {});
  assert_true(r.has_value());
  const uint64_t tasks = e.io_pool().tasks_queued() - before;
  assert_true(*Get(e, "bucket", key) == data);
  return tasks;
}

void test_last_block_closed_with_its_write(void**) {
  // When a body's end is known before its last block goes out (its length was announced, or
  // the read that brought the block came up short), that block's task on each drive writes
  // and closes (fsyncs) the shard file: no drive gets a separate close. A body of unknown
  // length that ends on a block boundary learns its end after the block went out, and closes
  // in a fan-out of its own: one task a drive more.
  TempDir dir;
  auto paths = MakeDrives(dir, 4);
  auto e = MustOpen(paths, TestConfig());
  assert_true(e->make_bucket({}, "bucket").ok());
  for (const uint64_t size : {kBlock, 2 * kBlock, 2 * kBlock + 5}) {
    const std::string data = RandomData(size, 21);
    const uint64_t known = TasksOfPut(*e, "known", data, true);
    const uint64_t unknown = TasksOfPut(*e, "unknown", data, false);
    assert_int_equal(unknown - known, size % kBlock == 0 ? paths.size() : 0);
  }
  ExpectNothingLeft(paths, "none");
}

void test_one_block_object_costs_a_drive_one_task(void**) {
  // Its shard file is created, written and fsynced by one task a drive: the PUT queues one
  // task a drive more than an object small enough to live in its metadata (inline), whose
  // other steps (the checks, the commit) are the same. Two more a drive before: the create
  // and the close each had a fan-out of their own.
  TempDir dir;
  auto paths = MakeDrives(dir, 4);
  auto e = MustOpen(paths, TestConfig());
  assert_true(e->make_bucket({}, "bucket").ok());
  const uint64_t inline_put = TasksOfPut(*e, "small", RandomData(1000, 22), true);
  const uint64_t one_block = TasksOfPut(*e, "large", RandomData(kBlock, 23), true);
  assert_int_equal(one_block - inline_put, paths.size());
  ExpectNothingLeft(paths, "none");
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_failed_body_leaves_nothing),
      cmocka_unit_test(test_last_block_closed_with_its_write),
      cmocka_unit_test(test_one_block_object_costs_a_drive_one_task),
      cmocka_unit_test(test_failed_overwrite_keeps_old),
      cmocka_unit_test(test_write_quorum_lost),
      cmocka_unit_test(test_commit_rolled_back),
      cmocka_unit_test(test_overwrite_keeps_old_version_until_quorum),
      cmocka_unit_test(test_overwrite_replaces_when_k_le_m_plus_1),
      cmocka_unit_test(test_commit_with_an_expired_lease_is_fenced),
      cmocka_unit_test(test_drive_failing_mid_write),
      cmocka_unit_test(test_drives_full_mid_stream),
      cmocka_unit_test(test_shard_buffers_recycled_without_stale_bytes),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
