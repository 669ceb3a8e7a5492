// Unit tests of the version-level drive calls on a LocalDisk (StorageApi::commit_version,
// finish_commit, undo_commit, delete_key): a commit moves the data dir in and writes the
// journal's list in one call, finish frees what the new list no longer names, undo puts
// everything back, delete_key removes the metadata before any data dir (and every data dir,
// named or not), and a MeteredDisk counts each as one call.
#include <string>

#include "disk_test_util.h"
#include "flashstor/meta/object_meta.h"
#include "flashstor/storage/faulty_disk.h"
#include "flashstor/storage/local_disk.h"
#include "flashstor/storage/metered_disk.h"
#include "temp_dir.h"

#include "cmocka_cpp.h"

using flashstor::Code;
using flashstor::testing::Bytes;
using flashstor::testing::FileExists;
using flashstor::testing::MustOpenDisk;
using flashstor::testing::TempDir;
using namespace flashstor::storage;
namespace object = flashstor::object;

namespace {

std::shared_ptr<LocalDisk> OpenWithBucket(const std::string& path) {
  std::shared_ptr<LocalDisk> d = MustOpenDisk(path);
  assert_true(d->make_volume("b").ok());
  return d;
}

// A data dir staged as tmp/<uuid> with one part file, as a PUT leaves it.
void Stage(StorageApi& d, const std::string& uuid) {
  auto w = d.create_file(kSysVolume, "tmp/" + uuid, "part.1");
  assert_true(w.has_value());
  const std::string data = "shard of " + uuid;
  assert_true((*w)->write(Bytes(data)).ok());
  assert_true((*w)->close().ok());
}

object::ObjectMeta Version(const std::string& uuid, int64_t t, int data = 2) {
  object::ObjectMeta m;
  m.mod_time_ns = t;
  m.etag = "etag-" + uuid;
  m.data_dir = uuid;
  m.size = 10;
  m.erasure.data = data;
  m.erasure.parity = 2;
  m.erasure.index = 1;
  m.erasure.distribution = {1, 2, 3, 4};
  m.parts.push_back({1, 10, 10, m.etag, t, ""});
  return m;
}

VersionCommit NewVersion(const std::string& uuid, int64_t t, int drives, int quorum) {
  VersionCommit c;
  c.volume = "b";
  c.key = "k";
  c.src_volume = std::string(kSysVolume);
  c.src_key = "tmp";
  c.src_dir = uuid;
  c.data_dir = uuid;
  c.version = Version(uuid, t);
  c.drive_count = drives;
  c.write_quorum = quorum;
  return c;
}

object::MetaVersions Held(StorageApi& d) {
  auto raw = d.read_all("b", "k", kMetaFile);
  assert_true(raw.has_value());
  auto v = object::DecodeMetaVersions(*raw);
  assert_true(v.has_value());
  return std::move(*v);
}

// Drive d holds version u1 of "k" (committed with the set's quorum) and has u2 staged.
void HoldOneStageAnother(StorageApi& d, int drives, int quorum) {
  Stage(d, "u1");
  assert_true(d.commit_version(NewVersion("u1", 100, drives, quorum)).has_value());
  Stage(d, "u2");
}

void test_first_commit_is_one_call(void**) {
  TempDir dir;
  auto d = OpenWithBucket(dir.path());
  Stage(*d, "u1");
  auto r = d->commit_version(NewVersion("u1", 100, 4, 3));
  assert_true(r.has_value());
  assert_true(r->previous.empty());
  assert_false(r->needs_finish);  // nothing to free
  assert_true(FileExists(dir.path() + "/b/k/%d.u1/part.1"));
  assert_false(FileExists(dir.path() + "/.flashstor.sys/tmp/u1"));  // the staged dir moved
  object::MetaVersions held = Held(*d);
  assert_int_equal(held.size(), 1);
  assert_string_equal(held[0].data_dir.c_str(), "u1");
}

void test_overwrite_frees_the_old_data_dir_at_finish(void**) {
  TempDir dir;
  auto d = OpenWithBucket(dir.path());
  HoldOneStageAnother(*d, 4, 3);
  VersionCommit c = NewVersion("u2", 200, 4, 3);
  auto r = d->commit_version(c);
  assert_true(r.has_value());
  // 4 drives, quorum 3: a cut-short commit leaves the old version on 2 = k drives, so no
  // fallback is kept; the old data dir stays until finish (an undo still needs it).
  assert_false(r->fallback);
  assert_true(r->needs_finish);
  assert_int_equal(Held(*d).size(), 1);
  assert_true(FileExists(dir.path() + "/b/k/%d.u1/part.1"));
  assert_true(d->finish_commit(c, *r).ok());
  assert_false(FileExists(dir.path() + "/b/k/%d.u1"));
  assert_true(FileExists(dir.path() + "/b/k/%d.u2/part.1"));
}

void test_fallback_kept_until_finish(void**) {
  TempDir dir;
  auto d = OpenWithBucket(dir.path());
  HoldOneStageAnother(*d, 4, 4);
  // Quorum 4 of 4: a cut-short commit may leave the old version on one drive only (< k = 2):
  // every drive keeps it behind the new one until the commit is known to be on the quorum.
  VersionCommit c = NewVersion("u2", 200, 4, 4);
  auto r = d->commit_version(c);
  assert_true(r.has_value());
  assert_true(r->fallback);
  object::MetaVersions held = Held(*d);
  assert_int_equal(held.size(), 2);
  assert_string_equal(held[0].data_dir.c_str(), "u2");
  assert_string_equal(held[1].data_dir.c_str(), "u1");
  assert_true(d->finish_commit(c, *r).ok());
  held = Held(*d);
  assert_int_equal(held.size(), 1);
  assert_string_equal(held[0].data_dir.c_str(), "u2");
  assert_false(FileExists(dir.path() + "/b/k/%d.u1"));
}

void test_undo_restores_the_previous_version(void**) {
  TempDir dir;
  auto d = OpenWithBucket(dir.path());
  HoldOneStageAnother(*d, 4, 3);
  VersionCommit c = NewVersion("u2", 200, 4, 3);
  auto r = d->commit_version(c);
  assert_true(r.has_value());
  assert_true(d->undo_commit(c, *r).ok());
  object::MetaVersions held = Held(*d);
  assert_int_equal(held.size(), 1);
  assert_string_equal(held[0].data_dir.c_str(), "u1");
  assert_true(FileExists(dir.path() + "/b/k/%d.u1/part.1"));
  assert_false(FileExists(dir.path() + "/b/k/%d.u2"));
  assert_true(FileExists(dir.path() + "/.flashstor.sys/tmp/u2/part.1"));  // back to its caller
}

void test_undo_of_a_first_version_leaves_no_key(void**) {
  TempDir dir;
  auto d = OpenWithBucket(dir.path());
  Stage(*d, "u1");
  VersionCommit c = NewVersion("u1", 100, 4, 3);
  auto r = d->commit_version(c);
  assert_true(r.has_value());
  assert_true(d->undo_commit(c, *r).ok());
  assert_false(FileExists(dir.path() + "/b/k"));  // the bucket is empty again
}

void test_in_place_update_replaces_one_record(void**) {
  TempDir dir;
  auto d = OpenWithBucket(dir.path());
  Stage(*d, "u1");
  VersionCommit first = NewVersion("u1", 100, 4, 3);
  first.version->version_id = "v1";
  assert_true(d->commit_version(first).has_value());
  VersionCommit update;
  update.volume = "b";
  update.key = "k";
  update.in_place = true;
  update.replaces = object::KeyOf(*first.version);
  update.version = *first.version;
  update.version->mod_time_ns = 300;
  update.version->tags = {{"a", "b"}};
  update.drive_count = 4;
  update.write_quorum = 3;
  auto r = d->commit_version(update);
  assert_true(r.has_value());
  object::MetaVersions held = Held(*d);
  assert_int_equal(held.size(), 1);
  assert_int_equal(held[0].mod_time_ns, 300);
  assert_int_equal(held[0].tags.size(), 1);
  assert_true(FileExists(dir.path() + "/b/k/%d.u1/part.1"));  // no data dir moves
  // A drive that does not hold the version says so.
  update.replaces.mod_time_ns = 1;
  auto lost = d->commit_version(update);
  assert_false(lost.has_value());
  assert_int_equal(static_cast<int>(lost.error().code()), static_cast<int>(Code::kFileNotFound));
}

// Two versions and a data dir no metadata names (a commit killed half-way): all of them go,
// the metadata first, the data dirs to the trash, and the key's directory is pruned.
void test_delete_key_removes_every_version(void**) {
  TempDir dir;
  auto d = OpenWithBucket(dir.path());
  Stage(*d, "u1");
  VersionCommit first = NewVersion("u1", 100, 4, 3);
  first.version->version_id = "v1";
  assert_true(d->commit_version(first).has_value());
  Stage(*d, "u2");
  VersionCommit second = NewVersion("u2", 200, 4, 3);
  second.version->version_id = "v2";
  second.keep.push_back(object::KeyOf(*first.version));
  assert_true(d->commit_version(second).has_value());
  assert_int_equal(Held(*d).size(), 2);
  auto orphan = d->create_file("b", "k", "%d.orphan/part.1");
  assert_true(orphan.has_value() && (*orphan)->close().ok());
  auto had = d->delete_key("b", "k");
  assert_true(had.has_value());
  assert_true(*had);
  assert_false(FileExists(dir.path() + "/b/k"));
  for (const char* u : {"u1", "u2", "orphan"}) {
    assert_true(FileExists(dir.path() + "/.flashstor.sys/trash/" + u + "/part.1"));
  }
  // A key no longer there: not an error, and nothing was held.
  auto again = d->delete_key("b", "k");
  assert_true(again.has_value());
  assert_false(*again);
}

// A key whose directory also holds a key below it ("k" and "k/sub"): only k's files go.
void test_delete_key_keeps_the_keys_below(void**) {
  TempDir dir;
  auto d = OpenWithBucket(dir.path());
  Stage(*d, "u1");
  assert_true(d->commit_version(NewVersion("u1", 100, 4, 3)).has_value());
  Stage(*d, "u2");
  VersionCommit below = NewVersion("u2", 200, 4, 3);
  below.key = "k/sub";
  assert_true(d->commit_version(below).has_value());
  auto had = d->delete_key("b", "k");
  assert_true(had.has_value() && *had);
  assert_false(FileExists(dir.path() + "/b/k/%m.bin"));
  assert_false(FileExists(dir.path() + "/b/k/%d.u1"));
  assert_true(FileExists(dir.path() + "/b/k/sub/%m.bin"));
  assert_true(FileExists(dir.path() + "/b/k/sub/%d.u2/part.1"));
}

// A drive failing to remove %m.bin: the call fails and leaves the data dirs in place (the
// metadata that names them is still there); a legacy %m.json went first.
void test_delete_key_failing_keeps_the_data(void**) {
  TempDir dir;
  auto local = OpenWithBucket(dir.path());
  Stage(*local, "u1");
  assert_true(local->commit_version(NewVersion("u1", 100, 4, 3)).has_value());
  assert_true(local->write_all("b", "k", kLegacyMetaFile, "{}").ok());
  FaultyDisk faulty(local);
  faulty.set(DriveCall::kDeletePath, FaultRule::Fail(Code::kFaultyDisk).on_file(kMetaFile));
  auto had = faulty.delete_key("b", "k");
  assert_false(had.has_value());
  assert_int_equal(static_cast<int>(had.error().code()), static_cast<int>(Code::kFaultyDisk));
  assert_false(FileExists(dir.path() + "/b/k/%m.json"));
  assert_true(FileExists(dir.path() + "/b/k/%m.bin"));
  assert_true(FileExists(dir.path() + "/b/k/%d.u1/part.1"));
  // The whole call can be failed too, and then nothing happens.
  faulty.clear(DriveCall::kDeletePath);
  faulty.set(DriveCall::kDeleteKey, FaultRule::Fail(Code::kDiskFull));
  assert_false(faulty.delete_key("b", "k").has_value());
  assert_true(FileExists(dir.path() + "/b/k/%m.bin"));
  faulty.clear(DriveCall::kDeleteKey);
  assert_true(faulty.delete_key("b", "k").has_value());
  assert_false(FileExists(dir.path() + "/b/k"));
}

void test_metered_counts_one_call(void**) {
  TempDir dir;
  auto local = OpenWithBucket(dir.path());
  Stage(*local, "u1");
  MeteredDisk metered(local);
  const uint64_t before = metered.counters().operations.load();
  auto r = metered.commit_version(NewVersion("u1", 100, 4, 3));
  assert_true(r.has_value());
  assert_int_equal(metered.counters().operations.load() - before, 1);
  assert_true(metered.delete_key("b", "k").has_value());
  assert_int_equal(metered.counters().operations.load() - before, 2);
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_first_commit_is_one_call),
      cmocka_unit_test(test_overwrite_frees_the_old_data_dir_at_finish),
      cmocka_unit_test(test_fallback_kept_until_finish),
      cmocka_unit_test(test_undo_restores_the_previous_version),
      cmocka_unit_test(test_undo_of_a_first_version_leaves_no_key),
      cmocka_unit_test(test_in_place_update_replaces_one_record),
      cmocka_unit_test(test_delete_key_removes_every_version),
      cmocka_unit_test(test_delete_key_keeps_the_keys_below),
      cmocka_unit_test(test_delete_key_failing_keeps_the_data),
      cmocka_unit_test(test_metered_counts_one_call),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
