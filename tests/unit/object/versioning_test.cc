// The engine's version list: versions added in an Enabled bucket, the null version replaced
// under Suspended, delete markers, deleting one version, ordering, listings, heal keeping
// every version (and restoring every version, delete markers included, on a drive that lost
// them), and the cap on versions per file.
#include <dirent.h>

#include <string>
#include <vector>

#include "engine_test_util.h"
#include "flashstor/object/version_quorum.h"

#include "cmocka_cpp.h"

using namespace flashstor;
using namespace flashstor::object;
using namespace flashstor::testing;

namespace {

struct Fixture {
  TempDir dir;
  std::vector<std::string> paths = MakeDrives(dir, 4);
  std::unique_ptr<ErasureSets> engine = MustOpen(paths, TestConfig());
  Fixture() { assert_true(engine->make_bucket({}, "bkt").ok()); }
  void set_versioning(VersioningState state) {
    assert_true(engine
                    ->update_bucket_metadata({}, "bkt",
                                             [&](BucketMetadata& m) {
                                               m.versioning = state;
                                               return Status::Ok();
                                             })
                    .ok());
  }
  std::string get(std::string_view key, std::string_view version = {}) {
    auto r = engine->open_object({}, "bkt", key, version);
    if (!r) return "<" + std::string(CodeName(r.error().code())) + ">";
    auto data = ReadAll(**r);
    assert_true(data.has_value());
    return *data;
  }
  std::vector<ObjectInfo> versions(std::string_view prefix = {}, int max_keys = 1000,
                                   std::string key_marker = {}, std::string id_marker = {}) {
    ListOptions opt;
    opt.versions = true;
    opt.prefix = prefix;
    opt.max_keys = max_keys;
    opt.start_after = std::move(key_marker);
    opt.version_id_marker = std::move(id_marker);
    auto r = engine->list_objects({}, "bkt", opt);
    assert_true(r.has_value());
    return r->objects;
  }
};

void test_enabled_adds_versions(void**) {
  Fixture f;
  f.set_versioning(VersioningState::kEnabled);
  std::vector<std::string> ids;
  const std::string big = RandomData(3 << 20, 7);  // with a data dir, not inline
  for (int i = 0; i < 3; ++i) {
    auto r = Put(*f.engine, "bkt", "k", i == 1 ? big : "v" + std::to_string(i));
    assert_true(r.has_value());
    assert_false(r->version_id.empty());
    ids.push_back(r->version_id);
  }
  assert_true(ids[0] != ids[1] && ids[1] != ids[2]);
  assert_string_equal(f.get("k").c_str(), "v2");
  assert_string_equal(f.get("k", ids[0]).c_str(), "v0");
  assert_true(f.get("k", ids[1]) == big);
  // Newest first, the first one latest.
  auto listed = f.versions();
  assert_int_equal(listed.size(), 3);
  for (int i = 0; i < 3; ++i) assert_string_equal(listed[i].version_id.c_str(), ids[2 - i].c_str());
  assert_true(listed[0].is_latest && !listed[1].is_latest && !listed[2].is_latest);
  // A heal keeps every version (it rewrites drives to the key's versions, never to one).
  HealResult h = f.engine->heal_object({}, "bkt", "k");
  assert_true(h.status.ok());
  assert_true(f.get("k", ids[1]) == big);
  assert_int_equal(f.versions().size(), 3);
  // Deleting a middle version removes it alone.
  auto d = f.engine->delete_object_version({}, "bkt", "k", DeleteOptions{{}, ids[1]});
  assert_true(d.has_value() && !d->delete_marker);
  assert_string_equal(f.get("k", ids[1]).c_str(), "<NoSuchVersion>");
  assert_string_equal(f.get("k", ids[0]).c_str(), "v0");
  assert_int_equal(f.versions().size(), 2);
}

void test_delete_markers(void**) {
  Fixture f;
  f.set_versioning(VersioningState::kEnabled);
  auto v1 = Put(*f.engine, "bkt", "k", "one");
  assert_true(v1.has_value());
  auto marker = f.engine->delete_object_version({}, "bkt", "k", DeleteOptions{});
  assert_true(marker.has_value() && marker->delete_marker && !marker->version_id.empty());
  assert_string_equal(f.get("k").c_str(), "<NoSuchKey>");
  assert_int_equal(f.engine->get_object_info({}, "bkt", "k").error().code(), Code::kNoSuchKey);
  auto info = f.engine->get_object_info({}, "bkt", "k", {}, true);
  assert_true(info.has_value() && info->delete_marker);
  assert_string_equal(info->version_id.c_str(), marker->version_id.c_str());
  assert_string_equal(f.get("k", marker->version_id).c_str(), "<NoSuchVersion>");
  assert_string_equal(f.get("k", v1->version_id).c_str(), "one");
  // Not in a plain listing; both in the versions listing.
  auto plain = f.engine->list_objects({}, "bkt", ListOptions{});
  assert_true(plain.has_value() && plain->objects.empty());
  auto listed = f.versions();
  assert_int_equal(listed.size(), 2);
  assert_true(listed[0].delete_marker && listed[0].is_latest);
  // An unversioned-style delete of the key never wipes the history in a versioned bucket.
  assert_true(f.engine->delete_object({}, "bkt", "k").ok());
  assert_int_equal(f.versions().size(), 3);
  // Removing both markers brings the object back.
  for (const ObjectInfo& v : f.versions()) {
    if (v.delete_marker) {
      assert_true(f.engine->delete_object_version({}, "bkt", "k", DeleteOptions{{}, v.version_id})
                      .has_value());
    }
  }
  assert_string_equal(f.get("k").c_str(), "one");
  // Removing the last version removes the key.
  assert_true(f.engine->delete_object_version({}, "bkt", "k", DeleteOptions{{}, v1->version_id})
                  .has_value());
  assert_true(f.versions().empty());
  assert_false(FileExists(f.paths[0] + "/bkt/k/%m.bin"));
}

void test_suspended_replaces_null(void**) {
  Fixture f;
  assert_true(Put(*f.engine, "bkt", "k", "unversioned").has_value());
  f.set_versioning(VersioningState::kEnabled);
  auto v1 = Put(*f.engine, "bkt", "k", "enabled");
  assert_true(v1.has_value());
  assert_string_equal(f.get("k", "null").c_str(), "unversioned");
  f.set_versioning(VersioningState::kSuspended);
  const std::string big = RandomData(2 << 20, 3);
  auto s1 = Put(*f.engine, "bkt", "k", big);
  assert_true(s1.has_value() && s1->version_id.empty());  // "null"
  auto s2 = Put(*f.engine, "bkt", "k", "suspended");
  assert_true(s2.has_value());
  auto listed = f.versions();
  assert_int_equal(listed.size(), 2);
  assert_true(listed[0].version_id.empty());
  assert_string_equal(listed[1].version_id.c_str(), v1->version_id.c_str());
  assert_string_equal(f.get("k", "null").c_str(), "suspended");
  assert_string_equal(f.get("k", v1->version_id).c_str(), "enabled");
  // The replaced null version's data dir is gone: only v1's remains (inline versions have
  // none), once the commit settled.
  int dirs = 0;
  (void)f.engine->heal_object({}, "bkt", "k");
  std::string dir = f.paths[0] + "/bkt/k";
  if (DIR* d = opendir(dir.c_str())) {
    while (dirent* e = readdir(d)) dirs += std::string_view(e->d_name).starts_with("%d.");
    closedir(d);
  }
  assert_int_equal(dirs, 0);
  // A delete marker under Suspended is the null version.
  auto m = f.engine->delete_object_version({}, "bkt", "k", DeleteOptions{});
  assert_true(m.has_value() && m->delete_marker);
  assert_string_equal(m->version_id.c_str(), "null");
  listed = f.versions();
  assert_int_equal(listed.size(), 2);
  assert_true(listed[0].delete_marker);
}

void test_versions_paging(void**) {
  Fixture f;
  f.set_versioning(VersioningState::kEnabled);
  for (const char* key : {"a", "b"}) {
    for (int i = 0; i < 3; ++i) assert_true(Put(*f.engine, "bkt", key, "x").has_value());
  }
  auto all = f.versions();
  assert_int_equal(all.size(), 6);
  // Pages of 4 then the rest, resuming inside key "b".
  ListOptions opt;
  opt.versions = true;
  opt.max_keys = 4;
  auto page = f.engine->list_objects({}, "bkt", opt);
  assert_true(page.has_value() && page->truncated && page->objects.size() == 4);
  assert_string_equal(page->next_marker.c_str(), "b");
  assert_string_equal(page->next_version_id_marker.c_str(), all[3].version_id.c_str());
  auto rest = f.versions({}, 1000, page->next_marker, page->next_version_id_marker);
  assert_int_equal(rest.size(), 2);
  assert_string_equal(rest[0].version_id.c_str(), all[4].version_id.c_str());
  assert_string_equal(rest[1].version_id.c_str(), all[5].version_id.c_str());
  // A key marker alone: after that key.
  assert_int_equal(f.versions({}, 1000, "a").size(), 3);
}

void test_pick_by_version_id(void**) {
  // PickVersion restricted to one id; LiveVersions drops a replaced version kept behind.
  ObjectMeta a;
  a.version_id = "null";
  a.mod_time_ns = 1;
  a.etag = "a";
  a.erasure.data = 2;
  a.erasure.parity = 2;
  ObjectMeta b = a;
  b.mod_time_ns = 2;
  b.etag = "b";
  ObjectMeta c = a;
  c.version_id = "v3";
  c.mod_time_ns = 3;
  c.etag = "c";
  MetaVersions d0{c, b, a}, d1{c, b, a}, d2{c, b}, d3{c, b};
  std::vector<const MetaVersions*> view{&d0, &d1, &d2, &d3};
  auto pick = PickVersion(view, 3, [](const ObjectMeta& v) { return v.version_id == "null"; });
  assert_int_equal(static_cast<int>(pick.verdict), static_cast<int>(VersionPick::Verdict::kFound));
  assert_true(SameVersion(view[pick.drive]->at(pick.slot), b));
  auto live = LiveVersions(view);
  assert_int_equal(live.size(), 2);  // c and b; a is b's replaced fallback
  assert_true(SameVersion(view[live[0].drive]->at(live[0].slot), c));
  assert_true(SameVersion(view[live[1].drive]->at(live[1].slot), b));
}

void test_version_cap(void**) {
  // A file holds at most kMaxFileVersions versions: the codec refuses more.
  ObjectMeta m;
  m.erasure.distribution = {1};
  m.erasure.index = 1;
  m.inlined = true;
  m.parts.push_back({1, 0, 0, "", 0, ""});
  MetaVersions many(kMaxFileVersions, m);
  for (size_t i = 0; i < many.size(); ++i) many[i].mod_time_ns = static_cast<int64_t>(i);
  assert_true(DecodeMetaVersions(EncodeMetaVersions(many)).has_value());
  many.push_back(m);
  assert_int_equal(DecodeMetaVersions(EncodeMetaVersions(many)).error().code(), Code::kCorrupt);
}

void test_heal_restores_every_version(void**) {
  // A drive that lost the key (or missed a delete marker) gets every version back from heal,
  // noncurrent ones and the marker included, in order, with their data.
  Fixture f;
  f.set_versioning(VersioningState::kEnabled);
  const std::string big = RandomData(3 << 20, 9);
  auto v1 = Put(*f.engine, "bkt", "k", big);
  auto v2 = Put(*f.engine, "bkt", "k", "two");
  assert_true(v1.has_value() && v2.has_value());
  auto marker = f.engine->delete_object_version({}, "bkt", "k", DeleteOptions{});
  assert_true(marker.has_value());
  std::vector<std::string> meta(4);
  for (size_t i = 0; i < 4; ++i) meta[i] = ReadFile(f.paths[i] + "/bkt/k/%m.bin");
  RemoveAll(f.paths[0] + "/bkt/k");
  HealResult h = f.engine->heal_object({}, "bkt", "k");
  assert_true(h.status.ok());
  assert_true(h.shards_healed >= 2);  // the big version's shard, the small one's inline shard
  for (size_t i = 0; i < 4; ++i) assert_true(ReadFile(f.paths[i] + "/bkt/k/%m.bin") == meta[i]);
  // The healed drive carries real redundancy: lose two others and read every version.
  RemoveAll(f.paths[1] + "/bkt/k");
  RemoveAll(f.paths[2] + "/bkt/k");
  assert_true(f.get("k", v1->version_id) == big);
  assert_string_equal(f.get("k", v2->version_id).c_str(), "two");
  assert_string_equal(f.get("k").c_str(), "<NoSuchKey>");
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_enabled_adds_versions),       cmocka_unit_test(test_delete_markers),
      cmocka_unit_test(test_suspended_replaces_null),     cmocka_unit_test(test_versions_paging),
      cmocka_unit_test(test_pick_by_version_id),          cmocka_unit_test(test_version_cap),
      cmocka_unit_test(test_heal_restores_every_version),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
