// Unit tests of bucket settings: the record codec (including the first release's record),
// creation with object lock, updates with a majority of drives, the newest record winning
// over a drive that missed an update, a failed change leaving the record alone, and records
// surviving a restart and going away with the bucket.
#include <filesystem>
#include <string>

#include "engine_test_util.h"
#include "flashstor/object/bucket_metadata.h"

#include "cmocka_cpp.h"

using namespace flashstor;
using namespace flashstor::testing;
using object::BucketMetadata;
using object::VersioningState;

namespace {

void test_codec_round_trip(void**) {
  BucketMetadata m;
  m.name = "b";
  m.created_ns = 1'700'000'000'123'456'789;
  m.updated_ns = m.created_ns + 5;
  m.versioning = VersioningState::kSuspended;
  m.object_lock_enabled = true;
  m.configs.emplace(object::kConfigCors, "<CORSConfiguration>\"x\"</CORSConfiguration>");
  auto back = object::DecodeBucketMetadata("b", object::EncodeBucketMetadata(m));
  assert_true(back.has_value());
  assert_true(back->created_ns == m.created_ns);
  assert_true(back->updated_ns == m.updated_ns);
  assert_true(back->versioning == VersioningState::kSuspended);
  assert_true(back->object_lock_enabled);
  const std::string* cors = back->config(object::kConfigCors);
  assert_true(cors != nullptr && *cors == m.configs.at(std::string(object::kConfigCors)));
  assert_null(back->config(object::kConfigTagging));
}

void test_codec_legacy_and_garbage(void**) {
  auto legacy = object::DecodeBucketMetadata("b", "{\"created\":\"42\"}");
  assert_true(legacy.has_value());
  assert_true(legacy->created_ns == 42);
  assert_true(legacy->versioning == VersioningState::kUnversioned);
  assert_false(legacy->object_lock_enabled);
  assert_true(object::DecodeBucketMetadata("b", "not json").error() == Code::kCorrupt);
  assert_true(object::DecodeBucketMetadata("b", "{\"versioning\":\"Maybe\"}").error() ==
              Code::kCorrupt);
  assert_true(object::DecodeBucketMetadata("b", "{\"configs\":{\"cors\":1}}").error() ==
              Code::kCorrupt);
}

void test_create_with_lock_and_update(void**) {
  TempDir dir;
  auto paths = MakeDrives(dir, 4);
  {
    auto e = MustOpen(paths, TestConfig());
    object::MakeBucketOptions opt;
    opt.object_lock_enabled = true;
    assert_true(e->make_bucket({}, "locked", opt).ok());
    assert_true(e->make_bucket({}, "plain").ok());
    auto m = e->get_bucket_metadata({}, "locked");
    assert_true(m.has_value());
    assert_true((*m)->object_lock_enabled);
    assert_true((*m)->versioning == VersioningState::kEnabled);
    assert_true((*m)->created_ns > 0);
    auto p = e->get_bucket_metadata({}, "plain");
    assert_true(p.has_value() && !(*p)->object_lock_enabled);
    assert_true((*p)->versioning == VersioningState::kUnversioned);

    Status st = e->update_bucket_metadata({}, "plain", [](BucketMetadata& meta) {
      meta.versioning = VersioningState::kEnabled;
      meta.configs[std::string(object::kConfigTagging)] = "<Tagging/>";
      return Status::Ok();
    });
    assert_true(st.ok());
    // A change that fails stores nothing.
    st = e->update_bucket_metadata({}, "plain", [](BucketMetadata& meta) {
      meta.versioning = VersioningState::kSuspended;
      return Status(Code::kInvalidArgument, "refused");
    });
    assert_true(st == Code::kInvalidArgument);
    assert_true(e->update_bucket_metadata({}, "missing", [](BucketMetadata&) {
      return Status::Ok();
    }) == Code::kNoSuchBucket);
    assert_true(e->get_bucket_metadata({}, "missing").error() == Code::kNoSuchBucket);
  }
  // Reopened: the records come from the drives.
  auto e = MustOpen(paths, TestConfig());
  auto p = e->get_bucket_metadata({}, "plain");
  assert_true(p.has_value());
  assert_true((*p)->versioning == VersioningState::kEnabled);
  assert_true((*p)->config(object::kConfigTagging) != nullptr);
  auto info = e->get_bucket_info({}, "plain");
  assert_true(info.has_value() && info->created_ns == (*p)->created_ns);
}

void test_newest_record_wins_and_delete_removes(void**) {
  TempDir dir;
  auto paths = MakeDrives(dir, 4);
  const std::string record = ".flashstor.sys/buckets/bkt.json";
  std::string stale;
  {
    auto e = MustOpen(paths, TestConfig());
    assert_true(e->make_bucket({}, "bkt").ok());
    stale = ReadFile(paths[0] + "/" + record);
    assert_true(e->update_bucket_metadata({}, "bkt", [](BucketMetadata& meta) {
                   meta.versioning = VersioningState::kEnabled;
                   return Status::Ok();
                 }).ok());
  }
  // Drive 0 missed the update (it was away): the other drives' newer record wins.
  {
    std::FILE* f = std::fopen((paths[0] + "/" + record).c_str(), "w");
    std::fwrite(stale.data(), 1, stale.size(), f);
    std::fclose(f);
  }
  auto e = MustOpen(paths, TestConfig());
  auto m = e->get_bucket_metadata({}, "bkt");
  assert_true(m.has_value());
  assert_true((*m)->versioning == VersioningState::kEnabled);
  assert_true(e->delete_bucket({}, "bkt").ok());
  for (const auto& p : paths) assert_false(FileExists(p + "/" + record));
  assert_true(e->get_bucket_metadata({}, "bkt").error() == Code::kNoSuchBucket);
  // Re-created: a fresh record, nothing of the old bucket's settings.
  assert_true(e->make_bucket({}, "bkt").ok());
  m = e->get_bucket_metadata({}, "bkt");
  assert_true(m.has_value() && (*m)->versioning == VersioningState::kUnversioned);
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_codec_round_trip),
      cmocka_unit_test(test_codec_legacy_and_garbage),
      cmocka_unit_test(test_create_with_lock_and_update),
      cmocka_unit_test(test_newest_record_wins_and_delete_removes),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
