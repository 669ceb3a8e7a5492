// Unit tests of LocalDisk's trash: a data dir moved there stays readable through its old
// name, collect_trash removes only entries older than the cutoff, or than the drive's opening.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>

#include "disk_test_util.h"
#include "flashstor/object/stop_signal.h"
#include "flashstor/object/trash_collector.h"
#include "flashstor/storage/local_disk.h"
#include "temp_dir.h"

#include "cmocka_cpp.h"

using flashstor::Code;
using flashstor::testing::Bytes;
using flashstor::testing::FileExists;
using flashstor::testing::MustOpenDisk;
using flashstor::testing::TempDir;
using namespace flashstor::storage;

namespace {

void WritePart(LocalDisk& d, const std::string& key, const std::string& uuid,
               std::string_view data) {
  auto w = d.create_file("b", key, "%d." + uuid + "/part.1");
  assert_true(w.has_value());
  assert_true((*w)->write(Bytes(data)).ok());
  assert_true((*w)->close().ok());
}

std::string ReadPart(LocalDisk& d, const std::string& key, const std::string& uuid) {
  auto r = d.open_file("b", key, "%d." + uuid + "/part.1");
  if (!r) return "<" + std::string(flashstor::CodeName(r.error().code())) + ">";
  std::string out((*r)->size(), '\0');
  auto n = (*r)->read_at({reinterpret_cast<uint8_t*>(out.data()), out.size()}, 0);
  assert_true(n.has_value());
  return out;
}

// Sets a trash entry's mtime seconds_ago into the past.
void Age(const std::string& path, int seconds_ago) {
  struct timespec times[2];
  clock_gettime(CLOCK_REALTIME, &times[0]);
  times[0].tv_sec -= seconds_ago;
  times[1] = times[0];
  assert_int_equal(utimensat(AT_FDCWD, path.c_str(), times, 0), 0);
}

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void test_trashed_data_dir_stays_readable(void**) {
  TempDir dir;
  auto d = MustOpenDisk(dir.path());
  assert_true(d->make_volume("b").ok());
  WritePart(*d, "k", "u1", "old version");
  assert_true(d->write_all("b", "k", kMetaFile, "meta").ok());
  assert_true(d->trash_data_dir("b", "k", "u1").ok());
  assert_false(FileExists(dir.path() + "/b/k/%d.u1"));
  assert_true(FileExists(dir.path() + "/.flashstor.sys/trash/u1/part.1"));
  // A reader that resolved the version before the move still opens it by its old name.
  assert_string_equal(ReadPart(*d, "k", "u1").c_str(), "old version");
  // Other names do not fall back: a missing data dir stays missing.
  assert_string_equal(ReadPart(*d, "k", "u2").c_str(), "<FileNotFound>");
  assert_int_equal(d->trash_data_dir("b", "k", "u1").code(), Code::kFileNotFound);
  assert_int_equal(d->trash_data_dir("b", "k", "../x").code(), Code::kInvalidArgument);
  assert_int_equal(d->trash_data_dir(kSysVolume, "tmp", "u1").code(), Code::kInvalidArgument);
}

void test_trash_prunes_the_key_directory(void**) {
  TempDir dir;
  auto d = MustOpenDisk(dir.path());
  assert_true(d->make_volume("b").ok());
  WritePart(*d, "a/k", "u1", "x");
  assert_true(d->trash_data_dir("b", "a/k", "u1").ok());
  assert_false(FileExists(dir.path() + "/b/a"));  // emptied directories go, the bucket stays
  assert_true(FileExists(dir.path() + "/b"));
  assert_string_equal(ReadPart(*d, "a/k", "u1").c_str(), "x");
}

void test_retrashing_a_data_dir_keeps_the_newer_copy(void**) {
  TempDir dir;
  auto d = MustOpenDisk(dir.path());
  assert_true(d->make_volume("b").ok());
  WritePart(*d, "k", "u1", "first");
  assert_true(d->trash_data_dir("b", "k", "u1").ok());
  WritePart(*d, "k", "u1", "second");  // a heal re-created it
  assert_true(d->trash_data_dir("b", "k", "u1").ok());
  assert_string_equal(ReadPart(*d, "k", "u1").c_str(), "second");
}

void test_collect_removes_only_entries_older_than_the_cutoff(void**) {
  TempDir dir;
  auto d = MustOpenDisk(dir.path());
  assert_true(d->make_volume("b").ok());
  for (const char* u : {"old1", "old2", "young"}) {
    WritePart(*d, "k", u, u);
    assert_true(d->trash_data_dir("b", "k", u).ok());
  }
  const std::string trash = dir.path() + "/.flashstor.sys/trash/";
  Age(trash + "old1", 120);
  Age(trash + "old2", 120);
  const int64_t cutoff = NowNs() - 60'000'000'000;  // a 60 s grace
  auto one = d->collect_trash(cutoff, 1);           // bounded batch
  assert_true(one.has_value());
  assert_int_equal(*one, 1);
  auto rest = d->collect_trash(cutoff, 100);
  assert_true(rest.has_value());
  assert_int_equal(*rest, 1);
  assert_false(FileExists(trash + "old1"));
  assert_false(FileExists(trash + "old2"));
  assert_true(FileExists(trash + "young/part.1"));
  assert_string_equal(ReadPart(*d, "k", "young").c_str(), "young");
  assert_string_equal(ReadPart(*d, "k", "old1").c_str(), "<FileNotFound>");
}

void test_collector_pass_over_drives(void**) {
  TempDir a, b;
  std::vector<std::shared_ptr<StorageApi>> drives{MustOpenDisk(a.path()), nullptr,
                                                  MustOpenDisk(b.path())};
  for (size_t i : {0u, 2u}) {
    auto& d = static_cast<LocalDisk&>(*drives[i]);
    assert_true(d.make_volume("b").ok());
    WritePart(d, "k", "old", "o");
    WritePart(d, "k", "new", "n");
    assert_true(d.trash_data_dir("b", "k", "old").ok());
    assert_true(d.trash_data_dir("b", "k", "new").ok());
  }
  Age(a.path() + "/.flashstor.sys/trash/old", 30);
  Age(b.path() + "/.flashstor.sys/trash/old", 30);
  flashstor::object::StopSignal stop;
  flashstor::object::TrashCollector collector(drives, stop, 10);
  assert_true(collector.interval_seconds() >= 1 && collector.interval_seconds() <= 60);
  assert_int_equal(collector.collect_once(), 2);
  assert_true(FileExists(a.path() + "/.flashstor.sys/trash/new"));
  assert_true(FileExists(b.path() + "/.flashstor.sys/trash/new"));
  assert_int_equal(collector.collect_once(), 0);
}

void test_collector_drains_a_backlog_pass_after_pass(void**) {
  // Six expired entries, two a pass: the collector's thread runs its passes back to back
  // while they stop at their bound, well within one interval (10 s for a 40 s grace). At one
  // pass an interval, two would be gone.
  TempDir a;
  std::vector<std::shared_ptr<StorageApi>> drives{MustOpenDisk(a.path())};
  auto& d = static_cast<LocalDisk&>(*drives[0]);
  assert_true(d.make_volume("b").ok());
  for (int i = 0; i < 6; ++i) {
    const std::string uuid = "u" + std::to_string(i);
    WritePart(d, "k" + std::to_string(i), uuid, "x");
    assert_true(d.trash_data_dir("b", "k" + std::to_string(i), uuid).ok());
    Age(a.path() + "/.flashstor.sys/trash/" + uuid, 3600);
  }
  flashstor::object::StopSignal stop;
  flashstor::object::TrashCollector collector(drives, stop, 40, 2);
  assert_true(collector.interval_seconds() >= 10);
  collector.start();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(6);
  auto left = [&] {
    size_t entries = 0;
    for (int i = 0; i < 6; ++i) {
      entries += FileExists(a.path() + "/.flashstor.sys/trash/u" + std::to_string(i));
    }
    return entries;
  };
  while (left() > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  stop.stop();
  collector.join();
  assert_int_equal(left(), 0);
}

void test_open_leaves_the_trash_to_the_collector(void**) {
  // Opening a drive removes nothing from its trash (after a busy hour that took seconds of
  // start-up); what the trash held then is collected at the next pass, however young.
  TempDir dir;
  {
    auto d = MustOpenDisk(dir.path());
    assert_true(d->make_volume("b").ok());
    WritePart(*d, "k", "u1", "x");
    assert_true(d->trash_data_dir("b", "k", "u1").ok());
  }
  assert_true(FileExists(dir.path() + "/.flashstor.sys/trash/u1"));
  // Past the open's margin for the coarse clock of the trash's stamps (local_disk.cc).
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  auto d = MustOpenDisk(dir.path());
  assert_true(FileExists(dir.path() + "/.flashstor.sys/trash/u1"));
  // Moved after this open: it waits for its grace (a cutoff of 0 expires nothing younger).
  WritePart(*d, "k", "u2", "y");
  assert_true(d->trash_data_dir("b", "k", "u2").ok());
  auto removed = d->collect_trash(0, 10);
  assert_true(removed.has_value());
  assert_int_equal(*removed, 1);
  assert_false(FileExists(dir.path() + "/.flashstor.sys/trash/u1"));
  assert_true(FileExists(dir.path() + "/.flashstor.sys/trash/u2"));
  assert_string_equal(ReadPart(*d, "k", "u2").c_str(), "y");  // still readable
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_trashed_data_dir_stays_readable),
      cmocka_unit_test(test_trash_prunes_the_key_directory),
      cmocka_unit_test(test_retrashing_a_data_dir_keeps_the_newer_copy),
      cmocka_unit_test(test_collect_removes_only_entries_older_than_the_cutoff),
      cmocka_unit_test(test_collector_pass_over_drives),
      cmocka_unit_test(test_collector_drains_a_backlog_pass_after_pass),
      cmocka_unit_test(test_open_leaves_the_trash_to_the_collector),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
