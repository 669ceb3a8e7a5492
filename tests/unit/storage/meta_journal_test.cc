// Unit tests of MetaJournal and of LocalDisk's use of it: records read back up to a torn or
// damaged one, group commit sharing syncs, checkpoints emptying the log, a failed sync
// refusing further changes, replay after a simulated crash (a child process that _exits with
// its applied files lost or damaged), the checkpoint before a bucket's deletion, and a stress
// run whose replay must leave a quiet drive exactly as it was.
#include <fcntl.h>
#include <isa-l/crc.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <barrier>
#include <chrono>
#include <cstring>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "disk_test_util.h"
#include "flashstor/storage/local_disk.h"
#include "meta_journal.h"
#include "temp_dir.h"

#include "cmocka_cpp.h"

using flashstor::Code;
using flashstor::Status;
using flashstor::testing::FileExists;
using flashstor::testing::MustOpenDisk;
using flashstor::testing::TempDir;
using namespace flashstor::storage;

namespace {

const std::string kLog = std::string(kSysVolume) + "/" + std::string(kMetaJournalFile);

// Opens the journal in dir (making its system volume), as a drive's open does without the
// replay: *pending and *damage say what it read.
std::unique_ptr<MetaJournal> OpenLog(const TempDir& dir, std::vector<MetaJournal::Record>* pending,
                                     std::string* damage) {
  pending->clear();
  damage->clear();
  const int root = open(dir.path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  assert_true(root >= 0);
  mkdirat(root, std::string(kSysVolume).c_str(), 0750);
  auto j = MetaJournal::Open(root, kLog, pending, damage);
  assert_true(j.has_value());
  return std::move(*j);
}

void Log(MetaJournal& j, MetaJournal::Op op, const std::string& path, const std::string& data) {
  auto e = j.append(op, path, data);
  assert_true(e.has_value());
  assert_true(j.sync(*e).ok());
  j.done(*e, true);
}

// Waits (5 s at most) until j has made n checkpoints: a full file's runs on the journal's own
// thread.
bool WaitForCheckpoints(const MetaJournal& j, uint64_t n) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (j.checkpoints() < n) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

// Appends data to b/k/%m.bin until the background has made n checkpoints in all, bounded by
// time, and returns how many records that took. A file is checkpointed when the next append
// finds it full; while a checkpoint's syncfs lags (a loaded machine), the active file grows
// to its cap instead and the next switch waits for a later append. So a test that needs n
// checkpoints appends until it has them, not a count that is enough only when they are quick.
int AppendUntilCheckpoints(MetaJournal& j, uint64_t n, const std::string& data) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  int appended = 0;
  while (j.checkpoints() < n && std::chrono::steady_clock::now() < until) {
    Log(j, MetaJournal::Op::kWrite, "b/k/%m.bin", data);
    ++appended;
  }
  return appended;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void WriteBytesAt(const std::string& path, const std::string& bytes, uint64_t offset) {
  const int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
  assert_true(fd >= 0);
  assert_int_equal(pwrite(fd, bytes.data(), bytes.size(), static_cast<off_t>(offset)),
                   static_cast<ssize_t>(bytes.size()));
  close(fd);
}

struct stat StatOf(const std::string& path) {
  struct stat st {};
  assert_int_equal(stat(path.c_str(), &st), 0);
  return st;
}

// Runs body in a child that then _exits; the body's drive is never closed (no shutdown
// checkpoint), so the log is left as a crash leaves it. The page cache survives, so body also
// damages by hand what a real crash could have lost.
template <class Body>
void InCrashingChild(Body body) {
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    body();
    _exit(0);
  }
  int status = 0;
  assert_int_equal(waitpid(pid, &status, 0), pid);
  assert_true(WIFEXITED(status));
  assert_int_equal(WEXITSTATUS(status), 0);
}

void test_records_read_back_up_to_a_torn_tail(void**) {
  TempDir dir;
  std::vector<MetaJournal::Record> pending;
  std::string damage;
  uint64_t epoch = 0, end = 0;
  {
    auto j = OpenLog(dir, &pending, &damage);
    assert_true(pending.empty());
    assert_string_equal(damage.c_str(), "");
    Log(*j, MetaJournal::Op::kWrite, "b/k1/%m.bin", std::string("one\0two", 7));
    Log(*j, MetaJournal::Op::kRemove, "b/k2/%m.bin", "");
    Log(*j, MetaJournal::Op::kWrite, "b/k3/%m.bin", std::string(100000, 'z'));
    assert_int_equal(j->records(), 3);
    epoch = j->epoch();
    end = j->end_offset();
  }
  // A crash in the middle of the fourth append.
  const std::string fourth = journal::Encode(epoch, MetaJournal::Op::kWrite, "b/k4/%m.bin", "four");
  WriteBytesAt(dir.sub(kLog), fourth.substr(0, fourth.size() - 2), end);
  auto j = OpenLog(dir, &pending, &damage);
  assert_int_equal(pending.size(), 3);
  assert_string_equal(pending[0].path.c_str(), "b/k1/%m.bin");
  assert_true(pending[0].data == std::string("one\0two", 7));
  assert_int_equal(static_cast<int>(pending[1].op), static_cast<int>(MetaJournal::Op::kRemove));
  assert_true(pending[2].data == std::string(100000, 'z'));
  // The file goes on with written zeros: the torn record reads as one whose CRC fails.
  assert_string_equal(damage.c_str(),
                      (kLog + ": record checksum mismatch at byte " + std::to_string(end)).c_str());
}

void test_damaged_record_stops_the_read(void**) {
  TempDir dir;
  std::vector<MetaJournal::Record> pending;
  std::string damage;
  uint64_t end = 0;
  {
    auto j = OpenLog(dir, &pending, &damage);
    Log(*j, MetaJournal::Op::kWrite, "b/a/%m.bin", "first");
    Log(*j, MetaJournal::Op::kWrite, "b/b/%m.bin", "second");
    end = j->end_offset();
  }
  std::string log = ReadFile(dir.sub(kLog));
  log[end - 1] ^= 0x01;  // the second record's last data byte
  WriteBytesAt(dir.sub(kLog), log.substr(end - 1, 1), end - 1);
  // Not checkpointed: the log keeps its records until a drive replays them.
  auto j = OpenLog(dir, &pending, &damage);
  assert_int_equal(pending.size(), 1);
  assert_string_equal(pending[0].data.c_str(), "first");
  assert_non_null(strstr(damage.c_str(), "checksum"));
}

void test_group_commit_shares_syncs(void**) {
  TempDir dir;
  std::vector<MetaJournal::Record> pending;
  std::string damage;
  auto j = OpenLog(dir, &pending, &damage);
  // A sync that takes as long as a real device's, so appends arrive while it runs.
  j->set_sync_for_test([](int fd) {
    std::this_thread::sleep_for(std::chrono::milliseconds(3));
    return fdatasync(fd);
  });
  constexpr int kThreads = 8, kEach = 25;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        Log(*j, MetaJournal::Op::kWrite, "b/t" + std::to_string(t) + "/%m.bin", "x");
      }
    });
  }
  for (auto& t : threads) t.join();
  assert_int_equal(j->records(), kThreads * kEach);
  // One sync per record would be 200; shared, each covers several.
  assert_true(j->syncs() * 2 <= j->records());
}

void test_checkpoint_empties_the_log(void**) {
  TempDir dir;
  std::vector<MetaJournal::Record> pending;
  std::string damage;
  auto j = OpenLog(dir, &pending, &damage);
  j->set_checkpoint_bytes(4096);
  // Both files checkpointed once (20 appends were not always enough: a slow first
  // checkpoint left the second switch to an append that never came).
  const int appended = AppendUntilCheckpoints(*j, 2, std::string(500, 'a'));
  assert_true(j->checkpoints() >= 2);
  // At most the active file up to its cap (twice the threshold, when the other's checkpoint
  // lags) and one record more, however many records went in.
  assert_true(appended >= 16);  // two files' worth of 4 KiB, 520 bytes a record
  assert_true(j->log_bytes() <= 2 * 4096 + 600);
  assert_true(j->checkpoint().ok());
  assert_int_equal(j->log_bytes(), 0);
  auto reopened = OpenLog(dir, &pending, &damage);
  assert_true(pending.empty());
  assert_string_equal(damage.c_str(), "");
}

// A checkpoint starts a new epoch over the same blocks: the file keeps its size and blocks
// (so a sync writes data, not the inode), and a replay reads only the new epoch's records,
// though the earlier epochs' lie right behind them, aligned (records of one size).
void test_checkpoints_reuse_the_log_blocks(void**) {
  TempDir dir;
  std::vector<MetaJournal::Record> pending;
  std::string damage;
  const std::string data(1000, 'r');
  uint64_t epoch = 0;
  {
    auto j = OpenLog(dir, &pending, &damage);
    j->set_checkpoint_bytes(64u << 10);
    for (int i = 0; i < 70; ++i) Log(*j, MetaJournal::Op::kWrite, "b/k/%m.bin", data);
    assert_true(WaitForCheckpoints(*j, 1));
    const struct stat after_first = StatOf(dir.sub(kLog));
    for (int i = 0; i < 300; ++i) Log(*j, MetaJournal::Op::kWrite, "b/k/%m.bin", data);
    // Four in all: quick checkpoints make five in those 300 records, lagging ones three.
    AppendUntilCheckpoints(*j, 4, data);
    assert_true(j->checkpoints() >= 4);
    assert_true(j->checkpoint().ok());
    const struct stat later = StatOf(dir.sub(kLog));
    assert_int_equal(later.st_size, after_first.st_size);
    assert_int_equal(later.st_blocks, after_first.st_blocks);
    assert_int_equal(later.st_ino, after_first.st_ino);
    // Two records of this epoch, of the earlier records' size: the next one is right there.
    Log(*j, MetaJournal::Op::kWrite, "b/k/%m.bin", data);
    Log(*j, MetaJournal::Op::kWrite, "b/k/%m.bin", std::string(1000, 'l'));
    epoch = j->epoch();
  }
  auto j = OpenLog(dir, &pending, &damage);
  assert_int_equal(pending.size(), 2);
  assert_true(pending[1].data == std::string(1000, 'l'));
  assert_string_equal(damage.c_str(), "");
  assert_int_equal(j->epoch(), epoch);
}

// Records in both files (the full one's checkpoint held back by a change still in flight)
// are replayed older file first, in the order they were logged.
void test_replay_reads_both_files_in_order(void**) {
  TempDir dir;
  std::vector<MetaJournal::Record> pending;
  std::string damage;
  {
    auto j = OpenLog(dir, &pending, &damage);
    j->set_checkpoint_bytes(4096);
    assert_int_equal(j->active_file(), 0);
    auto held = j->append(MetaJournal::Op::kWrite, "b/held/%m.bin", "first");
    assert_true(held.has_value());
    assert_true(j->sync(*held).ok());
    for (int i = 0; i < 12; ++i) {
      Log(*j, MetaJournal::Op::kWrite, "b/k/%m.bin",
          "v" + std::to_string(i) + std::string(480, '.'));
    }
    assert_int_equal(j->active_file(), 1);  // switched, and the full file is not checkpointed
    assert_int_equal(j->checkpoints(), 0);
    assert_true(j->log_bytes() > 4096);
    // The crash: the held change is never applied, nothing is checkpointed.
  }
  auto j = OpenLog(dir, &pending, &damage);
  assert_string_equal(damage.c_str(), "");
  assert_int_equal(pending.size(), 13);
  assert_string_equal(pending[0].data.c_str(), "first");
  for (int i = 0; i < 12; ++i) {
    assert_true(pending[i + 1].data.starts_with("v" + std::to_string(i) + "."));
  }
  assert_int_equal(j->active_file(), 1);
}

// A full file's checkpoint (its syncfs) runs while the other file takes the appends: the
// drive's changes do not wait for it.
void test_appends_go_on_during_a_checkpoint(void**) {
  TempDir dir;
  std::vector<MetaJournal::Record> pending;
  std::string damage;
  auto j = OpenLog(dir, &pending, &damage);
  j->set_checkpoint_bytes(4096);
  std::atomic<bool> in_syncfs{false};
  j->set_syncfs_for_test([&](int fd) {
    in_syncfs = true;
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    return syncfs(fd);
  });
  std::thread filler([&] {  // fills the first file; the append after that checkpoints it
    for (int i = 0; i < 12 && !in_syncfs; ++i) {
      Log(*j, MetaJournal::Op::kWrite, "b/fill/%m.bin", std::string(500, 'f'));
    }
  });
  while (!in_syncfs) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 5; ++i) Log(*j, MetaJournal::Op::kWrite, "b/k/%m.bin", "during");
  const auto took = std::chrono::steady_clock::now() - start;
  filler.join();
  // Well under the checkpoint's 1.5 s, with room for five real fdatasyncs on a disk busy with
  // the other tests of a ctest -j2 run (the bound was 400 ms against 800 ms).
  assert_true(took < std::chrono::milliseconds(1000));
  assert_true(WaitForCheckpoints(*j, 1));
}

// The first release's log (records from byte 0, no epoch) is replayed, then rewritten in
// this format; a log whose header is unreadable has nothing to replay (a header is only
// rewritten once a checkpoint made every change durable) and is rewritten too.
void test_first_release_log_and_bad_header(void**) {
  TempDir dir;
  std::vector<MetaJournal::Record> pending;
  std::string damage;
  {
    auto j = OpenLog(dir, &pending, &damage);  // makes .flashstor.sys
  }
  auto legacy = [](std::string_view path, std::string_view data) {
    std::string body = {1, static_cast<char>(path.size()), 0};
    body.append(path).append(data);
    const uint32_t crc = crc32_iscsi(reinterpret_cast<unsigned char*>(body.data()),
                                     static_cast<int>(body.size()), 0);
    std::string rec = "FSMJ";
    for (uint32_t v : {static_cast<uint32_t>(body.size()), crc}) {
      for (int i = 0; i < 4; ++i) rec.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
    }
    return rec + body;
  };
  std::ofstream(dir.sub(kLog), std::ios::binary | std::ios::trunc)
      << legacy("b/x/%m.bin", "ex") + legacy("b/y/%m.bin", "why");
  {
    auto j = OpenLog(dir, &pending, &damage);
    assert_int_equal(pending.size(), 2);
    assert_string_equal(pending[1].data.c_str(), "why");
    assert_string_equal(damage.c_str(), "");
    // Not this format until a checkpoint rewrote it (the drive's open makes one after its
    // replay): nothing is appended to it meanwhile.
    auto refused = j->append(MetaJournal::Op::kWrite, "b/z/%m.bin", "z");
    assert_false(refused.has_value());
    assert_true(j->checkpoint().ok());
    Log(*j, MetaJournal::Op::kWrite, "b/z/%m.bin", "zed");
  }
  {
    auto j = OpenLog(dir, &pending, &damage);
    assert_int_equal(pending.size(), 1);
    assert_string_equal(pending[0].data.c_str(), "zed");
    assert_true(j->checkpoint().ok());
  }
  WriteBytesAt(dir.sub(kLog), "XXXX", 0);
  auto j = OpenLog(dir, &pending, &damage);
  assert_true(pending.empty());
  assert_string_equal(damage.c_str(), (kLog + ": bad log header").c_str());
  assert_true(j->checkpoint().ok());
  Log(*j, MetaJournal::Op::kWrite, "b/k/%m.bin", "after");
}

void test_failed_sync_refuses_changes(void**) {
  TempDir dir;
  std::vector<MetaJournal::Record> pending;
  std::string damage;
  auto j = OpenLog(dir, &pending, &damage);
  j->set_sync_for_test([](int) {
    errno = EIO;
    return -1;
  });
  auto e = j->append(MetaJournal::Op::kWrite, "b/k/%m.bin", "x");
  assert_true(e.has_value());
  assert_int_equal(j->sync(*e).code(), Code::kFaultyDisk);
  j->done(*e, false);
  auto next = j->append(MetaJournal::Op::kWrite, "b/k/%m.bin", "y");
  assert_false(next.has_value());
  assert_int_equal(next.error().code(), Code::kFaultyDisk);
}

void test_unapplied_change_refuses_more_until_replayed(void**) {
  TempDir dir;
  std::vector<MetaJournal::Record> pending;
  std::string damage;
  {
    auto j = OpenLog(dir, &pending, &damage);
    auto e = j->append(MetaJournal::Op::kWrite, "b/k/%m.bin", "logged, not applied");
    assert_true(e.has_value());
    assert_true(j->sync(*e).ok());
    j->done(*e, false);  // say the file could not be written
    auto next = j->append(MetaJournal::Op::kWrite, "b/other/%m.bin", "x");
    assert_false(next.has_value());
    assert_int_equal(next.error().code(), Code::kFaultyDisk);
    assert_true(j->checkpoint().code() == Code::kFaultyDisk);  // the log is kept
  }
  auto j = OpenLog(dir, &pending, &damage);
  assert_int_equal(pending.size(), 1);
  assert_string_equal(pending[0].data.c_str(), "logged, not applied");
}

// A change logged but not applied, its file untouched (here: no temp file can be made, as on a
// full drive), is cancelled in the log: the drive keeps taking changes, and a replay skips the
// failed change instead of applying it.
void test_unapplied_change_with_file_untouched_is_cancelled(void**) {
  TempDir dir;
  InCrashingChild([&] {
    LocalDisk* disk = MustOpenDisk(dir.path()).release();  // never closed: a crash
    if (!disk->make_volume("b").ok()) _exit(1);
    if (!disk->write_all("b", "old", kMetaFile, "v1").ok()) _exit(2);
    const std::string tmp = dir.sub(std::string(kSysVolume) + "/tmp");
    if (rmdir(tmp.c_str()) != 0) _exit(3);
    std::ofstream(tmp) << "not a directory";
    // Neither fits in place: a new key, and a file growing past its blocks.
    if (disk->write_all("b", "new", kMetaFile, "never").ok()) _exit(4);
    if (disk->write_all("b", "old", kMetaFile, std::string(20000, 'g')).ok()) _exit(5);
    unlink(tmp.c_str());
    mkdir(tmp.c_str(), 0750);
    if (!disk->write_all("b", "after", kMetaFile, "still taking changes").ok()) _exit(6);
    if (disk->meta_journal().records() != 6) _exit(7);  // 4 changes, 2 cancels
  });
  auto disk = MustOpenDisk(dir.path());
  assert_false(FileExists(dir.sub("b/new/%m.bin")));
  assert_string_equal(ReadFile(dir.sub("b/old/%m.bin")).c_str(), "v1");
  assert_string_equal(ReadFile(dir.sub("b/after/%m.bin")).c_str(), "still taking changes");
}

void test_replay_restores_what_a_crash_lost(void**) {
  TempDir dir;
  InCrashingChild([&] {
    LocalDisk* disk = MustOpenDisk(dir.path()).release();  // never closed: a crash
    if (!disk->make_volume("b").ok()) _exit(1);
    if (!disk->write_all("b", "k1", kMetaFile, "v1").ok()) _exit(2);
    if (!disk->write_all("b", "k1", kMetaFile, "v2").ok()) _exit(3);
    if (!disk->write_all("b", "dir/k2", kMetaFile, "gone").ok()) _exit(4);
    if (!disk->delete_path("b", "dir/k2", kMetaFile, false).ok()) _exit(5);
    if (!disk->write_all("b", "k3", kMetaFile, std::string(5000, 'q')).ok()) _exit(6);
    if (FileExists(dir.sub("b/dir"))) _exit(7);  // the removal pruned the key's directory
    // What the page cache could have lost: k1's last rename, k2's removal, k3's bytes.
    std::ofstream(dir.sub("b/k1/%m.bin"), std::ios::trunc) << "v1";
    mkdir(dir.sub("b/dir").c_str(), 0750);
    mkdir(dir.sub("b/dir/k2").c_str(), 0750);
    std::ofstream(dir.sub("b/dir/k2/%m.bin")) << "gone";
    std::ofstream(dir.sub("b/k3/%m.bin"), std::ios::trunc) << "";
  });
  auto disk = MustOpenDisk(dir.path());
  assert_string_equal(ReadFile(dir.sub("b/k1/%m.bin")).c_str(), "v2");
  assert_false(FileExists(dir.sub("b/dir/k2/%m.bin")));
  assert_true(ReadFile(dir.sub("b/k3/%m.bin")) == std::string(5000, 'q'));
  auto back = disk->read_all("b", "k1", kMetaFile);
  assert_true(back.has_value());
  assert_string_equal(back->c_str(), "v2");
  assert_int_equal(disk->meta_journal().log_bytes(), 0);  // replayed, then checkpointed
}

void test_deleting_a_bucket_checkpoints_first(void**) {
  TempDir dir;
  InCrashingChild([&] {
    LocalDisk* disk = MustOpenDisk(dir.path()).release();  // never closed: a crash
    if (!disk->make_volume("b").ok()) _exit(1);
    if (!disk->write_all("b", "k", kMetaFile, "old bucket's object").ok()) _exit(2);
    if (!disk->delete_volume("b", true).ok()) _exit(3);
    if (!disk->make_volume("b").ok()) _exit(4);
  });
  auto disk = MustOpenDisk(dir.path());
  assert_true(disk->stat_volume("b").has_value());
  // Replaying the old write would bring the object back into the new bucket.
  assert_false(FileExists(dir.sub("b/k/%m.bin")));
}

// A drive reconnected while its old LocalDisk still has calls running is a second LocalDisk on
// the same folder: both must append to one journal (two writers of one log would write their
// records over each other's).
void test_two_opens_of_a_drive_share_its_journal(void**) {
  TempDir dir;
  auto first = MustOpenDisk(dir.path());
  assert_true(first->make_volume("b").ok());
  assert_true(first->write_all("b", "a", kMetaFile, "from the first").ok());
  auto second = MustOpenDisk(dir.path());
  assert_ptr_equal(&first->meta_journal(), &second->meta_journal());
  assert_true(second->write_all("b", "b", kMetaFile, "from the second").ok());
  assert_true(first->write_all("b", "c", kMetaFile, "the first again").ok());
  first.reset();  // the old one goes; the journal stays with the second
  assert_true(second->write_all("b", "d", kMetaFile, "after").ok());
  assert_int_equal(second->meta_journal().records(), 4);
}

void test_writes_outside_objects_keep_their_fsyncs(void**) {
  TempDir dir;
  auto disk = MustOpenDisk(dir.path());
  assert_true(disk->make_volume("b").ok());
  assert_true(disk->write_all(kSysVolume, "buckets", "b.rec", "record").ok());
  assert_true(disk->write_all("b", "k", "%m.json", "legacy").ok());
  assert_int_equal(disk->meta_journal().records(), 0);
  assert_true(disk->write_all("b", "k", kMetaFile, "meta").ok());
  assert_int_equal(disk->meta_journal().records(), 1);
}

// Threads write and remove the same keys at the same moment (all of them on one key, then on
// the next) while checkpoints run; once quiet, the drive's files are noted and the child
// _exits. Replaying what the log holds must change nothing: where two changes of a path were
// applied in another order than logged, the replay would roll the file back.
void test_replay_leaves_a_quiet_drive_as_it_was(void**) {
  TempDir dir;
  constexpr int kKeys = 150, kThreads = 6;
  const std::string snapshot = dir.path() + "-snapshot";
  auto note_files = [&](std::ostream& out) {
    for (int k = 0; k < kKeys; ++k) {
      const std::string path = dir.sub("b/k" + std::to_string(k) + "/%m.bin");
      out << k << ":" << (FileExists(path) ? ReadFile(path) : std::string("<none>")) << "\n";
    }
  };
  InCrashingChild([&] {
    LocalDisk* disk = MustOpenDisk(dir.path()).release();  // never closed: a crash
    if (!disk->make_volume("b").ok()) _exit(1);
    disk->meta_journal().set_checkpoint_bytes(256 * 1024);
    std::atomic<int> failures{0};
    std::barrier start(kThreads);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        std::mt19937 rng(static_cast<unsigned>(t));
        for (int k = 0; k < kKeys; ++k) {
          const std::string key = "k" + std::to_string(k);
          start.arrive_and_wait();
          if (rng() % 6 == 0) {
            Status s = disk->delete_path("b", key, kMetaFile, false);
            if (!s.ok() && s != Code::kFileNotFound) ++failures;
          } else {
            const std::string data = "t" + std::to_string(t) + std::string(rng() % 3000, 'p');
            if (!disk->write_all("b", key, kMetaFile, data).ok()) ++failures;
          }
        }
      });
    }
    for (auto& t : threads) t.join();
    if (failures != 0) _exit(2);
    if (!WaitForCheckpoints(disk->meta_journal(), 1)) _exit(3);
    if (disk->meta_journal().log_bytes() == 0) _exit(4);  // something left to replay
    std::ofstream out(snapshot, std::ios::binary | std::ios::trunc);
    note_files(out);
  });
  auto disk = MustOpenDisk(dir.path());
  std::ostringstream now;
  note_files(now);
  const std::string before = ReadFile(snapshot);
  unlink(snapshot.c_str());
  assert_true(now.str() == before);
}

// A metadata file rewritten in place (the journal makes that safe against crashes) must never
// be read torn: a reader racing the writer reads one whole version or retries (MetaWriteSeq).
// The two versions differ in length, so a read between the overwrite and the truncation, or
// during either, shows bytes of both.
void test_in_place_rewrites_are_never_read_torn(void**) {
  TempDir dir;
  auto disk = MustOpenDisk(dir.path());
  assert_true(disk->make_volume("b").ok());
  const std::string long_one(3000, 'a'), short_one(1000, 'b');
  assert_true(disk->write_all("b", "k", kMetaFile, long_one).ok());
  struct stat first {};
  assert_int_equal(stat(dir.sub("b/k/%m.bin").c_str(), &first), 0);
  std::atomic<bool> stop{false};
  std::atomic<int> torn{0}, reads{0};
  std::vector<std::thread> readers;
  for (int r = 0; r < 2; ++r) {
    readers.emplace_back([&] {
      while (!stop) {
        auto got = disk->read_all("b", "k", kMetaFile);
        if (!got || (*got != long_one && *got != short_one)) ++torn;
        ++reads;
      }
    });
  }
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(1500);
  int writes = 0;
  while (std::chrono::steady_clock::now() < until) {
    if (!disk->write_all("b", "k", kMetaFile, writes % 2 == 0 ? short_one : long_one).ok()) {
      ++torn;
    }
    ++writes;
  }
  stop = true;
  for (auto& t : readers) t.join();
  assert_int_equal(torn.load(), 0);
  assert_true(reads.load() > 100);
  // The file was rewritten in place: the one inode the first write made.
  struct stat st {};
  assert_int_equal(stat(dir.sub("b/k/%m.bin").c_str(), &st), 0);
  assert_int_equal(st.st_ino, first.st_ino);
  assert_int_equal(st.st_size, writes % 2 == 0 ? 3000 : 1000);
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_records_read_back_up_to_a_torn_tail),
      cmocka_unit_test(test_damaged_record_stops_the_read),
      cmocka_unit_test(test_group_commit_shares_syncs),
      cmocka_unit_test(test_checkpoint_empties_the_log),
      cmocka_unit_test(test_checkpoints_reuse_the_log_blocks),
      cmocka_unit_test(test_first_release_log_and_bad_header),
      cmocka_unit_test(test_replay_reads_both_files_in_order),
      cmocka_unit_test(test_appends_go_on_during_a_checkpoint),
      cmocka_unit_test(test_failed_sync_refuses_changes),
      cmocka_unit_test(test_unapplied_change_refuses_more_until_replayed),
      cmocka_unit_test(test_unapplied_change_with_file_untouched_is_cancelled),
      cmocka_unit_test(test_replay_restores_what_a_crash_lost),
      cmocka_unit_test(test_deleting_a_bucket_checkpoints_first),
      cmocka_unit_test(test_two_opens_of_a_drive_share_its_journal),
      cmocka_unit_test(test_writes_outside_objects_keep_their_fsyncs),
      cmocka_unit_test(test_replay_leaves_a_quiet_drive_as_it_was),
      cmocka_unit_test(test_in_place_rewrites_are_never_read_torn),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
