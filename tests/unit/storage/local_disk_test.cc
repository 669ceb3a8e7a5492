// Unit tests of LocalDisk: volumes, atomic write_all, shard files, rename, delete with
// pruning, error codes (missing volume/file, vanished drive) and start-up tmp cleaning.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <string>

#include "disk_test_util.h"
#include "flashstor/storage/local_disk.h"
#include "temp_dir.h"

#include "cmocka_cpp.h"

using flashstor::Code;
using flashstor::Status;
using flashstor::testing::Bytes;
using flashstor::testing::FileExists;
using flashstor::testing::MustOpenDisk;
using flashstor::testing::TempDir;
using namespace flashstor::storage;

namespace {

void test_open_missing_drive(void**) {
  auto d = LocalDisk::Open("/tmp/flashstor-no-such-drive-xyz");
  assert_false(d.has_value());
  assert_int_equal(d.error().code(), Code::kDiskNotFound);
}

void test_volumes(void**) {
  TempDir dir;
  auto disk = MustOpenDisk(dir.path());
  assert_true(FileExists(dir.sub(".flashstor.sys/tmp")));
  assert_true(disk->make_volume("bucket").ok());
  assert_int_equal(disk->make_volume("bucket").code(), Code::kVolumeExists);
  assert_int_equal(disk->make_volume("..").code(), Code::kInvalidArgument);
  assert_int_equal(disk->make_volume("a/b").code(), Code::kInvalidArgument);
  auto vols = disk->list_volumes();
  assert_true(vols.has_value());
  bool found = false;
  for (auto& v : *vols) found |= v.name == "bucket" && v.created_ns > 0;
  assert_true(found);
  assert_true(disk->stat_volume("bucket").has_value());
  assert_int_equal(disk->stat_volume("nope").error().code(), Code::kVolumeNotFound);
  assert_true(disk->write_all("bucket", "k", "%m.json", "x").ok());
  assert_int_equal(disk->delete_volume("bucket", false).code(), Code::kVolumeNotEmpty);
  assert_true(disk->delete_volume("bucket", true).ok());
  assert_int_equal(disk->delete_volume("bucket", false).code(), Code::kVolumeNotFound);
}

void test_write_read_all(void**) {
  TempDir dir;
  auto disk = MustOpenDisk(dir.path());
  assert_true(disk->make_volume("b").ok());
  std::string data("hello\0binary", 12);
  assert_true(disk->write_all("b", "dir/obj", "%m.json", data).ok());
  auto back = disk->read_all("b", "dir/obj", "%m.json");
  assert_true(back.has_value());
  assert_true(*back == data);
  assert_true(disk->write_all("b", "dir/obj", "%m.json", "v2").ok());
  assert_string_equal(disk->read_all("b", "dir/obj", "%m.json")->c_str(), "v2");
  // No temp file is left behind.
  auto tmp = disk->list_dir(kSysVolume, "tmp", "", 100);
  assert_true(tmp.has_value());
  assert_int_equal(tmp->size(), 0);
  assert_int_equal(disk->read_all("b", "missing", "%m.json").error().code(), Code::kFileNotFound);
  assert_int_equal(disk->read_all("nob", "x", "%m.json").error().code(), Code::kVolumeNotFound);
  assert_int_equal(disk->read_all("b", "x", "../../etc").error().code(), Code::kInvalidArgument);
  assert_int_equal(disk->read_all("b", std::string(300, 'a'), "%m.json").error().code(),
                   Code::kKeyTooLong);
}

void test_file_writer_reader(void**) {
  TempDir dir;
  auto disk = MustOpenDisk(dir.path());
  auto w = disk->create_file(kSysVolume, "tmp/t1", "%d.x/part.1");
  assert_true(w.has_value());
  assert_true((*w)->write(Bytes("abc")).ok());
  assert_true((*w)->write(Bytes("defgh")).ok());
  assert_true((*w)->close().ok());
  auto r = disk->open_file(kSysVolume, "tmp/t1", "%d.x/part.1");
  assert_true(r.has_value());
  assert_int_equal((*r)->size(), 8);
  uint8_t buf[16];
  auto n = (*r)->read_at({buf, 4}, 2);
  assert_true(n.has_value());
  assert_int_equal(*n, 4);
  assert_memory_equal(buf, "cdef", 4);
  n = (*r)->read_at({buf, 16}, 6);
  assert_int_equal(*n, 2);
  // A writer dropped without close() leaves nothing behind.
  {
    auto w2 = disk->create_file(kSysVolume, "tmp/t1", "%d.x/part.2");
    assert_true(w2.has_value());
    assert_true((*w2)->write(Bytes("zz")).ok());
  }
  assert_int_equal(disk->stat(kSysVolume, "tmp/t1", "%d.x/part.2").error().code(),
                   Code::kFileNotFound);
}

// The non-blocking variants answer from the kernel's caches, say kWouldBlock for data the page
// cache does not hold (dropped here with POSIX_FADV_DONTNEED), and report a missing file as
// missing once a lookup has cached that (a negative dentry).
void test_cached_reads(void**) {
  TempDir dir;
  auto disk = MustOpenDisk(dir.path());
  assert_true(disk->make_volume("v").ok());
  const std::string big(1 << 20, 'x');
  assert_true(disk->write_all("v", "k", "f", big).ok());
  assert_true(disk->read_all("v", "k", "f").has_value());
  auto cached = disk->read_all_cached("v", "k", "f");
  if (!cached && cached.error() == Code::kWouldBlock) {
    fprintf(stderr, "SKIP: this kernel or /tmp's file system has no non-blocking reads\n");
    skip();
  }
  assert_true(cached.has_value() && **cached == big);
  // A missing file looked up once is known missing (a negative dentry).
  assert_int_equal(disk->read_all("v", "k", "missing").error().code(), Code::kFileNotFound);
  assert_int_equal(disk->read_all_cached("v", "k", "missing").error().code(), Code::kFileNotFound);
  auto r = disk->open_file_cached("v", "k", "f");
  assert_true(r.has_value());
  uint8_t buf[4096];
  assert_int_equal(*(*r)->read_at_cached({buf, sizeof(buf)}, 8192), sizeof(buf));
  // Out of the page cache: the attempt says so instead of waiting for the device.
  const int fd = open((dir.path() + "/v/k/f").c_str(), O_RDONLY);
  assert_true(fd >= 0);
  assert_int_equal(fdatasync(fd), 0);
  assert_int_equal(posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED), 0);
  close(fd);
  auto dropped = (*r)->read_at_cached({buf, sizeof(buf)}, 512 * 1024);
  assert_false(dropped.has_value());
  assert_int_equal(dropped.error().code(), Code::kWouldBlock);
  assert_int_equal(disk->read_all_cached("v", "k", "f").error().code(), Code::kWouldBlock);
  // The blocking read brings it back.
  assert_int_equal(*(*r)->read_at({buf, sizeof(buf)}, 512 * 1024), sizeof(buf));
  assert_int_equal(*(*r)->read_at_cached({buf, sizeof(buf)}, 512 * 1024), sizeof(buf));
}

void test_rename_and_delete_prune(void**) {
  TempDir dir;
  auto disk = MustOpenDisk(dir.path());
  assert_true(disk->make_volume("b").ok());
  auto w = disk->create_file(kSysVolume, "tmp/u", "%d.1/part.1");
  assert_true((*w)->write(Bytes("data")).ok());
  assert_true((*w)->close().ok());
  assert_true(disk->rename(kSysVolume, "tmp/u", "%d.1", "b", "x/y/z", "%d.1").ok());
  assert_true(FileExists(dir.sub("b/x/y/z/%d.1/part.1")));
  // A non-empty destination directory is never replaced.
  w = disk->create_file(kSysVolume, "tmp/u", "%d.1/part.1");
  assert_true((*w)->close().ok());
  assert_int_equal(disk->rename(kSysVolume, "tmp/u", "%d.1", "b", "x/y/z", "%d.1").code(),
                   Code::kVolumeNotEmpty);
  assert_true(disk->write_all("b", "x/y/z", "%m.json", "m").ok());
  assert_true(disk->write_all("b", "x/other", "%m.json", "m").ok());
  assert_true(disk->delete_path("b", "x/y/z", "%m.json", false).ok());
  assert_true(FileExists(dir.sub("b/x/y/z")));  // still holds the data dir
  assert_true(disk->delete_path("b", "x/y/z", "%d.1", true).ok());
  assert_false(FileExists(dir.sub("b/x/y")));  // pruned up to the non-empty "x"
  assert_true(FileExists(dir.sub("b/x/other/%m.json")));
  assert_int_equal(disk->delete_path("b", "x/y/z", "%d.1", true).code(), Code::kFileNotFound);
  assert_true(disk->delete_path("b", "x/other", "%m.json", false).ok());
  assert_false(FileExists(dir.sub("b/x")));
  assert_true(FileExists(dir.sub("b")));  // the volume itself is kept
  // The system volume's top-level directories survive pruning.
  assert_true(disk->delete_path(kSysVolume, "tmp/u", "", true).ok());
  assert_true(FileExists(dir.sub(".flashstor.sys/tmp")));
  assert_int_equal(disk->delete_path("b", "", "", true).code(), Code::kInvalidArgument);
}

// Writes go below an existing volume only: a write racing a bucket delete must fail with
// kVolumeNotFound instead of re-creating the deleted bucket's folder (without its record).
void test_writes_never_recreate_a_volume(void**) {
  TempDir dir;
  auto disk = MustOpenDisk(dir.path());
  auto w = disk->create_file(kSysVolume, "tmp/u", "%d.1/part.1");
  assert_true((*w)->close().ok());
  assert_int_equal(disk->write_all("gone", "k", "%m.json", "x").code(), Code::kVolumeNotFound);
  assert_int_equal(disk->rename(kSysVolume, "tmp/u", "%d.1", "gone", "k", "%d.1").code(),
                   Code::kVolumeNotFound);
  assert_int_equal(disk->create_file("gone", "k", "part.1").error().code(), Code::kVolumeNotFound);
  const std::string names[] = {"part.1"};
  assert_int_equal(disk->link_files(kSysVolume, "tmp/u", "%d.1", "gone", "k", "%d.2", names).code(),
                   Code::kVolumeNotFound);
  assert_false(FileExists(dir.sub("gone")));
  // Below an existing volume, missing directories are still created.
  assert_true(disk->make_volume("b").ok());
  assert_true(disk->rename(kSysVolume, "tmp/u", "%d.1", "b", "x/y", "%d.1").ok());
  assert_true(disk->write_all("b", "x/z", "%m.json", "m").ok());
}

void test_stat_and_list_dir(void**) {
  TempDir dir;
  auto disk = MustOpenDisk(dir.path());
  assert_true(disk->make_volume("b").ok());
  assert_true(disk->write_all("b", "k", "%m.json", "12345").ok());
  assert_true(disk->write_all("b", "k", "%d.a/part.1", "1").ok());
  auto st = disk->stat("b", "k", "%m.json");
  assert_true(st.has_value());
  assert_int_equal(st->size, 5);
  assert_false(st->is_dir);
  assert_true(disk->stat("b", "k", "")->is_dir);
  auto names = disk->list_dir("b", "k", "", 10);
  assert_true(names.has_value());
  assert_int_equal(names->size(), 2);
  bool meta = false, data = false;
  for (auto& n : *names) {
    meta |= n == "%m.json";
    data |= n == "%d.a/";
  }
  assert_true(meta && data);
  assert_int_equal(disk->list_dir("b", "k", "", 1)->size(), 1);
}

void test_tmp_cleaned_on_open(void**) {
  TempDir dir;
  {
    auto disk = MustOpenDisk(dir.path());
    auto w = disk->create_file(kSysVolume, "tmp/crashed", "%d.1/part.1");
    assert_true((*w)->write(Bytes("x")).ok());
    assert_true((*w)->close().ok());  // a crash would leave this behind
  }
  assert_true(FileExists(dir.sub(".flashstor.sys/tmp/crashed/%d.1/part.1")));
  auto disk = MustOpenDisk(dir.path());
  assert_false(FileExists(dir.sub(".flashstor.sys/tmp/crashed")));
  assert_true(FileExists(dir.sub(".flashstor.sys/tmp")));
}

ino_t Inode(const std::string& p) {
  struct stat st {};
  assert_int_equal(::lstat(p.c_str(), &st), 0);
  return st.st_ino;
}

// A normal start empties tmp in place (same directory: nothing created, nothing to fsync);
// a file or a symbolic link at tmp's name is replaced by a directory, the link's target kept.
void test_tmp_kept_or_replaced_on_open(void**) {
  TempDir dir;
  { MustOpenDisk(dir.path()); }
  const std::string tmp = dir.sub(".flashstor.sys/tmp");
  const ino_t before = Inode(tmp);
  { MustOpenDisk(dir.path()); }
  assert_true(Inode(tmp) == before);

  assert_int_equal(rmdir(tmp.c_str()), 0);
  std::ofstream(tmp) << "not a directory";
  { MustOpenDisk(dir.path()); }
  struct stat st {};
  assert_int_equal(::lstat(tmp.c_str(), &st), 0);
  assert_true(S_ISDIR(st.st_mode));

  const std::string target = dir.sub("elsewhere");
  assert_int_equal(mkdir(target.c_str(), 0700), 0);
  std::ofstream(target + "/keep") << "x";
  assert_int_equal(rmdir(tmp.c_str()), 0);
  assert_int_equal(symlink(target.c_str(), tmp.c_str()), 0);
  { MustOpenDisk(dir.path()); }
  assert_int_equal(::lstat(tmp.c_str(), &st), 0);
  assert_true(S_ISDIR(st.st_mode));
  assert_true(FileExists(target + "/keep"));
}

void test_vanished_drive(void**) {
  TempDir dir;
  std::string drive = dir.sub("d1");
  assert_int_equal(mkdir(drive.c_str(), 0700), 0);
  auto disk = MustOpenDisk(drive);
  assert_true(disk->make_volume("b").ok());
  assert_true(disk->write_all("b", "k", "%m.json", "x").ok());
  flashstor::testing::RemoveAll(drive);
  assert_int_equal(disk->read_all("b", "k", "%m.json").error().code(), Code::kDiskNotFound);
  assert_int_equal(disk->write_all("b", "k", "%m.json", "y").code(), Code::kDiskNotFound);
  assert_int_equal(disk->disk_info().error().code(), Code::kDiskNotFound);
  // A new empty directory at the same path is another drive, not this one.
  assert_int_equal(mkdir(drive.c_str(), 0700), 0);
  assert_int_equal(disk->stat_volume("b").error().code(), Code::kDiskNotFound);
}

// read_all and read_all_cached return every byte of files around the sizes where the reads
// change (one read under 8 KiB, an fstat and the rest above), and a cached read whose file is
// only partly in the page cache says kWouldBlock, never the cached part as the whole file.
void test_read_all_sizes(void**) {
  TempDir dir;
  auto disk = MustOpenDisk(dir.path());
  assert_true(disk->make_volume("b").ok());
  for (size_t size : {0, 1, 4095, 4096, 4097, 6000, 8191, 8192, 8193, 12288, 100000}) {
    std::string data(size, '\0');
    for (size_t i = 0; i < size; ++i) data[i] = static_cast<char>('a' + i % 23);
    assert_true(disk->write_all("b", "k", "f", data).ok());
    auto whole = disk->read_all("b", "k", "f");
    assert_true(whole.has_value());
    assert_true(*whole == data);
    auto cached = disk->read_all_cached("b", "k", "f");  // in the page cache since the read
    if (cached) {
      assert_true(**cached == data);
    } else {
      assert_int_equal(cached.error().code(), Code::kWouldBlock);  // tmpfs: no RWF_NOWAIT
    }
  }
  // Drop the second page of a 6,000-byte file from the page cache: the first page reads
  // whole (4,096 bytes, short of the 8 KiB asked), which must not pass for the whole file.
  const std::string data(6000, 'x');
  assert_true(disk->write_all("b", "k", "g", data).ok());
  const std::string path = dir.sub("b/k/g");
  int fd = open(path.c_str(), O_RDONLY);
  assert_true(fd >= 0);
  fdatasync(fd);
  char first[4096];
  assert_int_equal(pread(fd, first, sizeof first, 0), 4096);
  posix_fadvise(fd, 4096, 0, POSIX_FADV_DONTNEED);
  close(fd);
  auto partly = disk->read_all_cached("b", "k", "g");
  if (partly) {
    assert_true(**partly == data);  // the page came back (or was never dropped)
  } else {
    assert_int_equal(partly.error().code(), Code::kWouldBlock);
  }
  assert_true(*disk->read_all("b", "k", "g") == data);
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_open_missing_drive),
      cmocka_unit_test(test_volumes),
      cmocka_unit_test(test_write_read_all),
      cmocka_unit_test(test_file_writer_reader),
      cmocka_unit_test(test_cached_reads),
      cmocka_unit_test(test_rename_and_delete_prune),
      cmocka_unit_test(test_stat_and_list_dir),
      cmocka_unit_test(test_tmp_cleaned_on_open),
      cmocka_unit_test(test_tmp_kept_or_replaced_on_open),
      cmocka_unit_test(test_vanished_drive),
      cmocka_unit_test(test_writes_never_recreate_a_volume),
      cmocka_unit_test(test_read_all_sizes),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
