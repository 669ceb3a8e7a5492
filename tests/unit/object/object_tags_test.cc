// Object tags in the engine: tags given at PUT and at CreateMultipartUpload reach the object,
// update_version rewrites them in place (data, ETag and Last-Modified stay), only existing
// versions are addressable, and a drive that missed a tag update is outvoted.
#include <string>

#include "faulty_engine.h"

#include "cmocka_cpp.h"

using namespace flashstor;
using namespace flashstor::testing;

namespace {

object::VersionUpdate Tags(object::Metadata tags) {
  object::VersionUpdate u;
  u.tags = std::move(tags);
  return u;
}

const object::Metadata kTags = {{"project", "blue"}, {"team", "data"}};

void test_put_and_update_tags(void**) {
  FaultyEngine f(4);
  object::PutOptions opt;
  opt.tags = kTags;
  auto put = Put(*f.e, "bucket", "k", "payload", opt);
  assert_true(put.has_value());
  assert_true(put->tags == kTags);
  auto info = f.e->get_object_info({}, "bucket", "k");
  assert_true(info->tags == kTags);

  const object::Metadata next = {{"only", ""}};
  auto updated = f.e->update_version({}, "bucket", "k", "", Tags(next));
  assert_true(updated.has_value());
  info = f.e->get_object_info({}, "bucket", "k");
  assert_true(info->tags == next);
  assert_true(info->etag == put->etag);
  // Last-Modified as S3 shows it (milliseconds) is unchanged by tagging.
  assert_int_equal(info->mod_time_ns / 1000000, put->mod_time_ns / 1000000);
  assert_true(*Get(*f.e, "bucket", "k") == "payload");
  assert_true(f.e->update_version({}, "bucket", "k", "null", Tags({})).has_value());
  assert_true(f.e->get_object_info({}, "bucket", "k")->tags.empty());

  assert_int_equal(
      f.e->update_version({}, "bucket", "k", "3HL4kqtJlcpXroDTDmJ", Tags(next)).error().code(),
      Code::kNoSuchVersion);
  assert_int_equal(f.e->update_version({}, "bucket", "absent", "", Tags(next)).error().code(),
                   Code::kNoSuchKey);
  assert_int_equal(f.e->update_version({}, "nobucket", "k", "", Tags(next)).error().code(),
                   Code::kNoSuchBucket);
  // Replacing the metadata (copy onto itself) sets the tags it is given.
  object::PutOptions replace;
  replace.tags = next;
  assert_true(f.e->update_object_metadata({}, "bucket", "k", replace).has_value());
  assert_true(f.e->get_object_info({}, "bucket", "k")->tags == next);
}

void test_drive_missing_the_update_is_outvoted(void**) {
  FaultyEngine f(4);
  object::PutOptions opt;
  opt.tags = {{"v", "1"}};
  assert_true(Put(*f.e, "bucket", "k", "data", opt).has_value());
  // Drive 0 fails the metadata write: 3 of 4 drives make the write quorum.
  f.faulty[0]->set(storage::DriveCall::kWriteAll,
                   storage::FaultRule::Fail(Code::kFaultyDisk).on_file(storage::kMetaFile));
  assert_true(f.e->update_version({}, "bucket", "k", "", Tags({{"v", "2"}})).has_value());
  f.faulty[0]->clear(storage::DriveCall::kWriteAll);
  for (int i = 0; i < 20; ++i) {
    auto info = f.e->get_object_info({}, "bucket", "k");
    assert_true(info.has_value());
    assert_string_equal(info->tags.at(0).second.c_str(), "2");
  }
  // Without a write quorum the update fails and the old tags stay.
  for (int d : {0, 1}) {
    f.faulty[static_cast<size_t>(d)]->set(
        storage::DriveCall::kWriteAll,
        storage::FaultRule::Fail(Code::kFaultyDisk).on_file(storage::kMetaFile));
  }
  assert_false(f.e->update_version({}, "bucket", "k", "", Tags({{"v", "3"}})).has_value());
  for (int d : {0, 1}) f.faulty[static_cast<size_t>(d)]->clear(storage::DriveCall::kWriteAll);
  assert_string_equal(f.e->get_object_info({}, "bucket", "k")->tags.at(0).second.c_str(), "2");
}

void test_multipart_carries_tags(void**) {
  FaultyEngine f(4);
  object::PutOptions opt;
  opt.tags = kTags;
  auto id = f.e->new_multipart_upload({}, "bucket", "mp", opt, hash::ChecksumAlgo::kNone);
  assert_true(id.has_value());
  std::string data = RandomData(1000, 7);
  MemSource src(data);
  hash::HashingSource body(src, hash::Expectations{});
  auto part = f.e->put_object_part({}, "bucket", "mp", *id, 1, body, 1000);
  assert_true(part.has_value());
  auto done = f.e->complete_multipart_upload({}, "bucket", "mp", *id, {{1, part->etag, ""}});
  assert_true(done.has_value());
  assert_true(f.e->get_object_info({}, "bucket", "mp")->tags == kTags);
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_put_and_update_tags),
      cmocka_unit_test(test_drive_missing_the_update_is_outvoted),
      cmocka_unit_test(test_multipart_carries_tags),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
