// Unit tests of the version quorum rule (PickVersion): the newest version held by k drives
// wins, versions that can never have reached their write quorum are dangling and skipped,
// and a version that may have been acknowledged behind unknown drives blocks older ones.
#include <string>
#include <vector>

#include "flashstor/object/version_quorum.h"

#include "cmocka_cpp.h"

using namespace flashstor::object;
using Verdict = VersionPick::Verdict;

namespace {

ObjectMeta Version(int64_t mod_time, int k, int m) {
  ObjectMeta v;
  v.mod_time_ns = mod_time;
  v.etag = "etag" + std::to_string(mod_time);
  v.data_dir = "dir" + std::to_string(mod_time);
  v.erasure.data = k;
  v.erasure.parity = m;
  return v;
}

// drives[d] = what drive d holds; "unknown" drives are given as nullopt.
struct Drives {
  std::vector<std::optional<MetaVersions>> lists;
  void add(int count, const MetaVersions& versions) {
    for (int i = 0; i < count; ++i) lists.emplace_back(versions);
  }
  void unknown(int count) {
    for (int i = 0; i < count; ++i) lists.emplace_back();
  }
  VersionPick pick(int min_write_quorum) const {
    std::vector<const MetaVersions*> view;
    for (const auto& l : lists) view.push_back(l ? &*l : nullptr);
    return PickVersion(view, min_write_quorum);
  }
};

const ObjectMeta& Winner(const Drives& drives, const VersionPick& p) {
  return (*drives.lists[p.drive])[p.slot];
}

void test_unanimous_and_majority(void**) {
  const ObjectMeta v1 = Version(100, 2, 2);
  Drives all;
  all.add(4, {v1});
  VersionPick p = all.pick(3);
  assert_int_equal(p.verdict, Verdict::kFound);
  assert_int_equal(p.holders, 4);
  assert_false(p.dangling);
  // k of 4 drives suffice to read, with the others offline.
  Drives half;
  half.add(2, {v1});
  half.unknown(2);
  assert_int_equal(half.pick(3).verdict, Verdict::kFound);
}

void test_first_put_cut_short(void**) {
  // 16 drives, k=12: a first PUT that reached 9 drives was never acknowledged.
  const ObjectMeta v = Version(100, 12, 4);
  Drives drives;
  drives.add(9, {v});
  drives.add(7, {});
  VersionPick p = drives.pick(12);
  assert_int_equal(p.verdict, Verdict::kAbsent);
  assert_true(p.dangling);
  // With 3 drives unknown it may have reached 12: neither absent nor readable.
  Drives maybe;
  maybe.add(9, {v});
  maybe.add(4, {});
  maybe.unknown(3);
  assert_int_equal(maybe.pick(12).verdict, Verdict::kNoQuorum);
}

void test_overwrite_cut_short_falls_back(void**) {
  // An overwrite that committed on 8 of 16 drives keeps v1 behind v2 there.
  const ObjectMeta v1 = Version(100, 12, 4), v2 = Version(200, 12, 4);
  Drives drives;
  drives.add(8, {v2, v1});
  drives.add(8, {v1});
  VersionPick p = drives.pick(12);
  assert_int_equal(p.verdict, Verdict::kFound);
  assert_true(SameVersion(Winner(drives, p), v1));
  assert_int_equal(p.holders, 16);
  assert_true(p.dangling);
}

void test_newest_with_quorum_wins(void**) {
  // The commit reached its quorum; the kept v1 entries are not cleaned up yet.
  const ObjectMeta v1 = Version(100, 12, 4), v2 = Version(200, 12, 4);
  Drives drives;
  drives.add(12, {v2, v1});
  drives.add(4, {v1});
  VersionPick p = drives.pick(12);
  assert_int_equal(p.verdict, Verdict::kFound);
  assert_true(SameVersion(Winner(drives, p), v2));
  assert_false(p.dangling);
}

void test_possible_newer_blocks_older(void**) {
  // v2 on 10 drives and 2 drives unknown: v2 may be on 12, so v1 must not be served.
  const ObjectMeta v1 = Version(100, 12, 4), v2 = Version(200, 12, 4);
  Drives drives;
  drives.add(10, {v2, v1});
  drives.add(4, {v1});
  drives.unknown(2);
  assert_int_equal(drives.pick(12).verdict, Verdict::kNoQuorum);
}

void test_write_quorum_when_k_equals_m(void**) {
  // 4 drives, k=m=2, write quorum 3: a version on 1 drive plus 1 unknown is dangling...
  const ObjectMeta v1 = Version(100, 2, 2), v2 = Version(200, 2, 2);
  Drives drives;
  drives.add(1, {v2, v1});
  drives.add(2, {v1});
  drives.unknown(1);
  VersionPick p = drives.pick(3);
  assert_int_equal(p.verdict, Verdict::kFound);
  assert_true(SameVersion(Winner(drives, p), v1));
  // ... but on 2 drives it is readable (k) and wins.
  Drives two;
  two.add(2, {v2, v1});
  two.add(2, {v1});
  assert_true(SameVersion(Winner(two, two.pick(3)), v2));
}

void test_absent_or_no_quorum_without_candidates(void**) {
  Drives none;
  none.add(2, {});
  none.unknown(2);
  assert_int_equal(none.pick(3).verdict, Verdict::kAbsent);  // 2 drives cannot hold 3
  Drives dark;
  dark.add(1, {});
  dark.unknown(3);
  assert_int_equal(dark.pick(3).verdict, Verdict::kNoQuorum);
}

void test_same_mod_time_is_deterministic(void**) {
  ObjectMeta a = Version(100, 2, 2), b = Version(100, 2, 2);
  a.etag = "aaa";
  b.etag = "bbb";
  Drives one, other;
  one.add(2, {a});
  one.add(2, {b});
  other.add(2, {b});
  other.add(2, {a});
  assert_true(SameVersion(Winner(one, one.pick(3)), Winner(other, other.pick(3))));
}

void test_find_version(void**) {
  const ObjectMeta v1 = Version(100, 2, 2), v2 = Version(200, 2, 2), v3 = Version(300, 2, 2);
  MetaVersions list{v2, v1};
  assert_int_equal(FindVersion(list, v1), 1);
  assert_int_equal(FindVersion(list, v2), 0);
  assert_int_equal(FindVersion(list, v3), -1);
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_unanimous_and_majority),
      cmocka_unit_test(test_first_put_cut_short),
      cmocka_unit_test(test_overwrite_cut_short_falls_back),
      cmocka_unit_test(test_newest_with_quorum_wins),
      cmocka_unit_test(test_possible_newer_blocks_older),
      cmocka_unit_test(test_write_quorum_when_k_equals_m),
      cmocka_unit_test(test_absent_or_no_quorum_without_candidates),
      cmocka_unit_test(test_same_mod_time_is_deterministic),
      cmocka_unit_test(test_find_version),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
