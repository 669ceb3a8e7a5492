// Drives written by the previous release (%m.json per object) keep working: GET, HEAD and
// listing read them, a heal (queued by the GET) rewrites them as %m.bin byte for byte as this
// release would have written them, an overwrite or delete replaces or removes them, a
// rolled-back commit leaves them as they were, and a set mixing both formats agrees.
#include <string>

#include "engine_test_util.h"
#include "faulty_engine.h"
#include "legacy_meta.h"

#include "cmocka_cpp.h"

using namespace flashstor;
using namespace flashstor::testing;

namespace {

constexpr size_t kBlock = 1u << 20;

std::string Dir(const std::string& drive, const std::string& key) {
  return drive + "/bucket/" + key;
}

size_t DataDirs(const std::string& dir) {
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return 0;
  size_t n = 0;
  while (dirent* e = readdir(d)) n += std::string_view(e->d_name).starts_with("%d.");
  closedir(d);
  return n;
}

void test_reads_then_heals_legacy_drives(void**) {
  TempDir dir;
  auto paths = MakeDrives(dir, 4);
  auto e = MustOpen(paths, TestConfig());
  assert_true(e->make_bucket({}, "bucket").ok());
  const std::string big = RandomData(2 * kBlock + 5, 1), small = RandomData(700, 2);
  object::PutOptions opt;
  opt.content_type = "text/plain";
  opt.metadata = {{"x-amz-meta-color", "blue"}};
  assert_true(Put(*e, "bucket", "dir/big", big, opt).has_value());
  assert_true(Put(*e, "bucket", "small", small).has_value());
  std::vector<std::string> bin_big, bin_small;
  for (const auto& p : paths) {
    bin_big.push_back(ReadFile(Dir(p, "dir/big") + "/%m.bin"));
    bin_small.push_back(ReadFile(Dir(p, "small") + "/%m.bin"));
    MakeLegacy(p, "bucket", "dir/big");
    MakeLegacy(p, "bucket", "small");
  }
  assert_true(*Get(*e, "bucket", "dir/big") == big);
  assert_true(*Get(*e, "bucket", "small") == small);
  auto info = e->get_object_info({}, "bucket", "dir/big");
  assert_true(info.has_value() && info->content_type == "text/plain");
  assert_true(info->metadata == opt.metadata);
  auto list = e->list_objects({}, "bucket", {});
  assert_true(list.has_value() && list->objects.size() == 2);
  assert_true(list->objects[0].key == "dir/big" && list->objects[0].size == big.size());
  // Reading a legacy key queued it for heal, which migrates it.
  assert_true(e->heal_queue().size() >= 2);
  for (const char* key : {"dir/big", "small"}) {
    auto r = e->heal_object({}, "bucket", key);
    assert_true(r.status.ok());
    assert_int_equal(r.shards_healed, 0);
  }
  for (size_t i = 0; i < paths.size(); ++i) {
    assert_false(FileExists(Dir(paths[i], "dir/big") + "/%m.json"));
    assert_false(FileExists(Dir(paths[i], "small") + "/%m.json"));
    assert_true(ReadFile(Dir(paths[i], "dir/big") + "/%m.bin") == bin_big[i]);
    assert_true(ReadFile(Dir(paths[i], "small") + "/%m.bin") == bin_small[i]);
    assert_int_equal(DataDirs(Dir(paths[i], "dir/big")), 1);
  }
  assert_true(*Get(*e, "bucket", "dir/big") == big);
}

void test_overwrite_and_delete_replace_legacy(void**) {
  TempDir dir;
  auto paths = MakeDrives(dir, 4);
  auto e = MustOpen(paths, TestConfig());
  assert_true(e->make_bucket({}, "bucket").ok());
  assert_true(Put(*e, "bucket", "k", RandomData(kBlock + 1, 3)).has_value());
  assert_true(Put(*e, "bucket", "gone", "legacy bytes").has_value());
  for (const auto& p : paths) {
    MakeLegacy(p, "bucket", "k");
    MakeLegacy(p, "bucket", "gone");
  }
  const std::string v2 = RandomData(kBlock + 2, 4);
  assert_true(Put(*e, "bucket", "k", v2).has_value());
  assert_true(e->delete_object({}, "bucket", "gone").ok());
  for (const auto& p : paths) {
    assert_false(FileExists(Dir(p, "k") + "/%m.json"));
    assert_true(FileExists(Dir(p, "k") + "/%m.bin"));
    assert_int_equal(DataDirs(Dir(p, "k")), 1);  // the old data dir went
    assert_false(FileExists(Dir(p, "gone")));    // both files, and the dir
  }
  assert_true(*Get(*e, "bucket", "k") == v2);
  assert_int_equal(e->get_object_info({}, "bucket", "gone").error().code(), Code::kNoSuchKey);
}

void test_rolled_back_commit_keeps_legacy(void**) {
  FaultyEngine f(4);
  const std::string v1 = RandomData(kBlock + 100, 5);
  assert_true(Put(*f.e, "bucket", "k", v1).has_value());
  std::vector<std::string> legacy;
  for (const auto& p : f.paths) {
    MakeLegacy(p, "bucket", "k");
    legacy.push_back(ReadFile(Dir(p, "k") + "/%m.json"));
  }
  for (int d : {2, 3}) {
    f.faulty[d]->set(storage::DriveCall::kWriteAll,
                     storage::FaultRule::Fail(Code::kFaultyDisk).on_file(storage::kMetaFile));
  }
  assert_int_equal(Put(*f.e, "bucket", "k", RandomData(10, 6)).error().code(), Code::kWriteQuorum);
  for (int d : {2, 3}) f.faulty[d]->clear(storage::DriveCall::kWriteAll);
  for (size_t i = 0; i < f.paths.size(); ++i) {
    assert_false(FileExists(Dir(f.paths[i], "k") + "/%m.bin"));
    assert_true(ReadFile(Dir(f.paths[i], "k") + "/%m.json") == legacy[i]);
  }
  assert_true(*Get(*f.e, "bucket", "k") == v1);
}

void test_mixed_formats_agree(void**) {
  TempDir dir;
  auto paths = MakeDrives(dir, 6);
  auto e = MustOpen(paths, TestConfig());
  assert_true(e->make_bucket({}, "bucket").ok());
  const std::string v1 = RandomData(3 * kBlock, 7), v2 = RandomData(900, 8);
  assert_true(Put(*e, "bucket", "k", v1).has_value());
  // Three drives still hold v1 in a legacy file (an upgrade between two drives' commits
  // cannot happen, but a drive restored from an old backup can look like this).
  std::vector<std::string> v1_legacy;
  for (size_t i = 0; i < 3; ++i) {
    MakeLegacy(paths[i], "bucket", "k");
    v1_legacy.push_back(ReadFile(Dir(paths[i], "k") + "/%m.json"));
  }
  assert_true(*Get(*e, "bucket", "k") == v1);
  assert_true(Put(*e, "bucket", "k", v2).has_value());
  assert_true(*Get(*e, "bucket", "k") == v2);
  // A drive keeping a stale legacy file under a current %m.bin: the %m.bin wins.
  WriteFile(Dir(paths[0], "k") + "/%m.json", v1_legacy[0]);
  assert_true(*Get(*e, "bucket", "k") == v2);
  auto list = e->list_objects({}, "bucket", {});
  assert_true(list.has_value() && list->objects.size() == 1 && list->objects[0].size == 900);
  // The delete removes the leftover too: nothing resurfaces.
  assert_true(e->delete_object({}, "bucket", "k").ok());
  assert_false(FileExists(Dir(paths[0], "k")));
  assert_int_equal(e->get_object_info({}, "bucket", "k").error().code(), Code::kNoSuchKey);
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_reads_then_heals_legacy_drives),
      cmocka_unit_test(test_overwrite_and_delete_replace_legacy),
      cmocka_unit_test(test_rolled_back_commit_keeps_legacy),
      cmocka_unit_test(test_mixed_formats_agree),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
