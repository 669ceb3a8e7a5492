// Unit tests of drive format records: JSON round trip and rejection of malformed records,
// fresh formatting, reordered drives, wiped drives, and every refusal (foreign deployment,
// mismatched layout, duplicate id, changed drive count, no quorum, offline at first start).
#include <sys/stat.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "disk_test_util.h"
#include "flashstor/storage/format.h"
#include "flashstor/storage/local_disk.h"
#include "temp_dir.h"

#include "cmocka_cpp.h"

using flashstor::Code;
using flashstor::testing::MustOpenDisk;
using flashstor::testing::TempDir;
using namespace flashstor::storage;

namespace {

using Drives = std::vector<std::shared_ptr<StorageApi>>;

Drives Open(const std::vector<std::string>& paths) {
  Drives out;
  for (const auto& p : paths) {
    mkdir(p.c_str(), 0700);
    out.push_back(MustOpenDisk(p));
  }
  return out;
}

std::vector<std::string> Paths(const TempDir& dir, int n, const std::string& prefix = "d") {
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) out.push_back(dir.sub(prefix + std::to_string(i)));
  return out;
}

FormattedDrives MustLoad(const Drives& drives, FormatLayout layout) {
  std::string detail;
  auto f = LoadFormats(drives, layout, &detail);
  if (!f) print_message("LoadFormats: %s\n", detail.c_str());
  assert_true(f.has_value());
  return std::move(*f);
}

std::string LoadError(const Drives& drives, FormatLayout layout) {
  std::string detail;
  auto f = LoadFormats(drives, layout, &detail);
  assert_false(f.has_value());
  return detail;
}

void test_round_trip(void**) {
  FormatInfo f;
  f.deployment_id = "0b0c6f64-5f36-4a5b-9a43-6d1e5b3f2a10";
  f.drive_id = "1b0c6f64-5f36-4a5b-9a43-6d1e5b3f2a10";
  f.sets = {{f.drive_id, "2b0c6f64-5f36-4a5b-9a43-6d1e5b3f2a10"}};
  f.parity = 1;
  auto back = DecodeFormat(EncodeFormat(f));
  assert_true(back.has_value());
  assert_true(back->deployment_id == f.deployment_id && back->drive_id == f.drive_id);
  assert_true(back->sets == f.sets);
  assert_int_equal(back->parity, 1);
  for (const char* bad : {"", "{", "[]", "{\"version\":1}",
                          "{\"version\":2,\"format\":\"erasure\",\"deployment_id\":\"x\"}",
                          "{\"version\":1,\"format\":\"erasure\",\"deployment_id\":\"not-a-uuid\","
                          "\"this\":\"x\",\"parity\":1,\"sets\":[]}"}) {
    assert_int_equal(DecodeFormat(bad).error().code(), Code::kCorrupt);
  }
}

// A drive reconnecting after start-up: its own id rejoins, an empty drive takes the slot,
// another slot's or deployment's drive is refused with a detail naming it.
void test_adopt_drive(void**) {
  TempDir dir;
  auto paths = Paths(dir, 4);
  auto f = MustLoad(Open(paths), {1, 4, -1});
  const FormatInfo& ref = f.reference;
  auto again = Open({paths[1]});
  std::string detail;
  auto own = AdoptDrive(*again[0], ref, ref.sets[0][1], &detail);
  assert_true(own.has_value());
  assert_false(*own);
  auto other_slot = AdoptDrive(*again[0], ref, ref.sets[0][2], &detail);
  assert_false(other_slot.has_value());
  assert_int_equal(other_slot.error().code(), Code::kInvalidArgument);
  assert_true(detail.find(paths[1]) != std::string::npos);
  FormatInfo foreign = ref;
  foreign.deployment_id = "9b0c6f64-5f36-4a5b-9a43-6d1e5b3f2a10";
  assert_int_equal(AdoptDrive(*again[0], foreign, ref.sets[0][1], &detail).error().code(),
                   Code::kInvalidArgument);
  assert_true(detail.find("another deployment") != std::string::npos);
  auto empty = Open({dir.sub("new")});
  auto fresh = AdoptDrive(*empty[0], ref, ref.sets[0][3], &detail);
  assert_true(fresh.has_value());
  assert_true(*fresh);
  auto back = AdoptDrive(*empty[0], ref, ref.sets[0][3], &detail);  // now carries the id
  assert_true(back.has_value());
  assert_false(*back);
}

void test_fresh_then_reordered(void**) {
  TempDir dir;
  auto paths = Paths(dir, 4);
  auto first = MustLoad(Open(paths), {2, 2, -1});
  assert_true(first.fresh);
  assert_int_equal(first.reference.sets.size(), 2);
  // Drives handed over in reverse order are put back into their slots by id.
  std::vector<std::string> reversed(paths.rbegin(), paths.rend());
  auto again = MustLoad(Open(reversed), {2, 2, -1});
  assert_false(again.fresh);
  assert_true(again.reference.deployment_id == first.reference.deployment_id);
  for (size_t i = 0; i < 4; ++i) {
    assert_string_equal(again.slots[i]->endpoint().c_str(), paths[i].c_str());
  }
  assert_true(again.reformatted.empty());
}

void test_wiped_drive_reformatted_into_its_slot(void**) {
  TempDir dir;
  auto paths = Paths(dir, 4);
  auto first = MustLoad(Open(paths), {1, 4, -1});
  flashstor::testing::RemoveAll(paths[2]);
  auto again = MustLoad(Open(paths), {1, 4, -1});
  assert_int_equal(again.reformatted.size(), 1);
  assert_int_equal(again.reformatted[0], 2);
  assert_string_equal(again.slots[2]->endpoint().c_str(), paths[2].c_str());
  auto raw = again.slots[2]->read_all(kSysVolume, "", kFormatFile);
  auto f = DecodeFormat(*raw);
  assert_true(f->drive_id == first.reference.sets[0][2]);
  assert_true(f->deployment_id == first.reference.deployment_id);
}

void test_foreign_drive_refused(void**) {
  TempDir dir;
  auto ours = Paths(dir, 4);
  auto theirs = Paths(dir, 4, "other");
  MustLoad(Open(ours), {1, 4, -1});
  MustLoad(Open(theirs), {1, 4, -1});
  auto mixed = ours;
  mixed[1] = theirs[1];
  std::string detail = LoadError(Open(mixed), {1, 4, -1});
  assert_non_null(strstr(detail.c_str(), theirs[1].c_str()));
  assert_non_null(strstr(detail.c_str(), "another deployment"));
}

void test_mismatched_layout_refused(void**) {
  TempDir dir;
  auto paths = Paths(dir, 4);
  auto drives = Open(paths);
  auto first = MustLoad(drives, {1, 4, -1});
  // Drive 3 claims a different set list (same deployment).
  auto f = DecodeFormat(*drives[3]->read_all(kSysVolume, "", kFormatFile));
  std::swap(f->sets[0][0], f->sets[0][1]);
  assert_true(drives[3]->write_all(kSysVolume, "", kFormatFile, EncodeFormat(*f)).ok());
  std::string detail = LoadError(Open(paths), {1, 4, -1});
  assert_non_null(strstr(detail.c_str(), paths[3].c_str()));
  assert_non_null(strstr(detail.c_str(), "different set layout"));
}

void test_duplicate_drive_refused(void**) {
  TempDir dir;
  auto paths = Paths(dir, 4);
  auto drives = Open(paths);
  MustLoad(drives, {1, 4, -1});
  auto raw = drives[0]->read_all(kSysVolume, "", kFormatFile);
  assert_true(drives[1]->write_all(kSysVolume, "", kFormatFile, *raw).ok());
  std::string detail = LoadError(Open(paths), {1, 4, -1});
  assert_non_null(strstr(detail.c_str(), "same drive id"));
}

void test_changed_drive_count_refused(void**) {
  TempDir dir;
  auto paths = Paths(dir, 4);
  MustLoad(Open(paths), {2, 2, -1});
  std::string detail = LoadError(Open(paths), {1, 4, -1});
  assert_non_null(strstr(detail.c_str(), "layout changed"));
  assert_false(LoadFormats(Open(paths), {1, 3, -1}, nullptr).has_value());
}

void test_no_quorum_and_offline_first_start(void**) {
  TempDir dir;
  auto paths = Paths(dir, 4);
  MustLoad(Open(paths), {1, 4, -1});
  flashstor::testing::RemoveAll(paths[0]);
  flashstor::testing::RemoveAll(paths[1]);
  std::string detail = LoadError(Open(paths), {1, 4, -1});
  assert_non_null(strstr(detail.c_str(), "quorum"));
  // One offline drive: the other three still start, the slot stays empty.
  TempDir dir2;
  auto p2 = Paths(dir2, 4);
  auto d2 = Open(p2);
  MustLoad(d2, {1, 4, -1});
  d2[3] = nullptr;
  auto partial = MustLoad(d2, {1, 4, -1});
  assert_null(partial.slots[3].get());
  // First start needs every drive.
  TempDir dir3;
  auto d3 = Open(Paths(dir3, 4));
  d3[1] = nullptr;
  detail = LoadError(d3, {1, 4, -1});
  assert_non_null(strstr(detail.c_str(), "offline at first start"));
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_round_trip),
      cmocka_unit_test(test_fresh_then_reordered),
      cmocka_unit_test(test_adopt_drive),
      cmocka_unit_test(test_wiped_drive_reformatted_into_its_slot),
      cmocka_unit_test(test_foreign_drive_refused),
      cmocka_unit_test(test_mismatched_layout_refused),
      cmocka_unit_test(test_duplicate_drive_refused),
      cmocka_unit_test(test_changed_drive_count_refused),
      cmocka_unit_test(test_no_quorum_and_offline_first_start),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
