// Unit tests of LocalDisk's shard file writer (shard_file_writer.h): whatever the sizes of the
// writes, the file holds exactly the bytes written; on a file system that takes O_DIRECT (ext4
// under /var/tmp) they went around the page cache, and where direct writes are refused (a stand-in
// pwrite saying EINVAL, as a file system without direct I/O does) through it.
#include <fcntl.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "disk_test_util.h"
#include "flashstor/storage/local_disk.h"
#include "shard_file_writer.h"
#include "temp_dir.h"

#include "cmocka_cpp.h"

using flashstor::testing::MustOpenDisk;
using flashstor::testing::TempDir;
using namespace flashstor::storage;

namespace {

std::vector<uint8_t> RandomBytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<uint8_t> out(n);
  for (auto& b : out) b = static_cast<uint8_t>(rng());
  return out;
}

// Whether the file system under dir opens files with O_DIRECT (tmpfs: EINVAL).
bool TakesDirectIo(const std::string& dir) {
  const std::string probe = dir + "/direct-probe";
  int fd = open(probe.c_str(), O_WRONLY | O_CREAT | O_DIRECT, 0600);
  if (fd >= 0) close(fd);
  unlink(probe.c_str());
  return fd >= 0;
}

// Whether the page cache holds the file's page at offset (a read that may not wait says so).
bool PageCached(const std::string& path, off_t offset) {
  int fd = open(path.c_str(), O_RDONLY);
  assert_true(fd >= 0);
  char byte;
  struct iovec iov = {&byte, 1};
  ssize_t n = preadv2(fd, &iov, 1, offset, RWF_NOWAIT);
  int err = errno;
  close(fd);
  if (n < 0 && err == EOPNOTSUPP) return true;  // no RWF_NOWAIT: cannot tell
  return n == 1;
}

size_t TotalOf(const std::vector<size_t>& sizes) {
  size_t total = 0;
  for (size_t s : sizes) total += s;
  return total;
}

// Writes bytes through w in pieces of `sizes`, then closes it; whether every step succeeded.
bool WriteInPieces(FileWriter& w, const std::vector<uint8_t>& bytes,
                   const std::vector<size_t>& sizes) {
  size_t at = 0;
  for (size_t s : sizes) {
    if (!w.write(std::span(bytes).subspan(at, s)).ok()) return false;
    at += s;
  }
  return w.close().ok();
}

// Writes `sizes` one after the other into v/k/f, closes, and checks the file is exactly them.
std::vector<uint8_t> WriteAndCheck(LocalDisk& disk, const std::vector<size_t>& sizes,
                                   uint32_t seed) {
  const size_t total = TotalOf(sizes);
  const std::vector<uint8_t> bytes = RandomBytes(total, seed);
  auto w = disk.create_file("v", "k", "f");
  assert_true(w.has_value());
  assert_true(WriteInPieces(**w, bytes, sizes));
  auto back = disk.read_all("v", "k", "f");
  assert_true(back.has_value());
  assert_int_equal(back->size(), total);
  assert_true(
      std::equal(bytes.begin(), bytes.end(), reinterpret_cast<const uint8_t*>(back->data())));
  return bytes;
}

// The sizes a shard file sees (a 12-byte digest before each shard, shards of any length) and
// the boundaries of the staging buffer (256 KiB) and of pages.
const std::vector<std::vector<size_t>> kWriteSizes = {
    {},
    {1},
    {12, 4084},
    {4096},
    {4095, 1, 4097},
    {12 + 512 * 1024, 12 + 512 * 1024, 12 + 1000},
    {256 * 1024},
    {256 * 1024 - 1, 2, 256 * 1024 + 4096},
    {3, 700000, 5, 1 << 20},
};

void RunWriteSizes(const std::string& dir) {
  auto disk = MustOpenDisk(dir);
  assert_true(disk->make_volume("v").ok());
  uint32_t seed = 1;
  for (const auto& sizes : kWriteSizes) WriteAndCheck(*disk, sizes, seed++);
}

void test_any_write_sizes_direct(void**) {
  TempDir dir("/var/tmp");
  if (!TakesDirectIo(dir.path())) {
    fprintf(stderr, "SKIP: /var/tmp's file system refuses O_DIRECT (tmpfs?)\n");
    skip();
  }
  RunWriteSizes(dir.path());
}

// pwrite as a file system without direct I/O answers it: EINVAL for an O_DIRECT file, after
// the first g_direct_writes_allowed direct writes.
int g_direct_writes_allowed = 0;
ssize_t RefusingPwrite(int fd, const void* buf, size_t count, off_t offset) {
  if ((fcntl(fd, F_GETFL) & O_DIRECT) != 0 && g_direct_writes_allowed-- <= 0) {
    errno = EINVAL;
    return -1;
  }
  return ::pwrite(fd, buf, count, offset);
}

// Writes sizes through a writer whose direct writes are refused after `allowed` of them.
void WriteRefused(const std::string& dir, const std::vector<size_t>& sizes, int allowed,
                  uint32_t seed) {
  const std::string path = dir + "/f";
  int dir_fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_DIRECT, 0600);
  assert_true(dir_fd >= 0 && fd >= 0);
  g_direct_writes_allowed = allowed;
  const size_t total = TotalOf(sizes);
  const std::vector<uint8_t> bytes = RandomBytes(total, seed);
  auto w = MakeShardFileWriter(fd, dir_fd, "f", false, nullptr, "v/k/f",
                               std::make_shared<StageSlots>(kStageSlotsPerDrive), RefusingPwrite);
  assert_true(WriteInPieces(*w, bytes, sizes));
  std::vector<uint8_t> back(total + 1);
  int rfd = open(path.c_str(), O_RDONLY);
  assert_true(rfd >= 0);
  ssize_t n = pread(rfd, back.data(), back.size(), 0);
  close(rfd);
  assert_int_equal(n, total);
  back.resize(total);
  assert_true(back == bytes);
  // Refused from the first write on: everything went through the page cache.
  if (allowed == 0 && total > 0) assert_true(PageCached(path, 0));
}

void test_refused_direct_writes_go_through_the_page_cache(void**) {
  TempDir dir("/var/tmp");
  if (!TakesDirectIo(dir.path())) {
    fprintf(stderr, "SKIP: /var/tmp's file system refuses O_DIRECT (tmpfs?)\n");
    skip();
  }
  uint32_t seed = 100;
  for (int allowed : {0, 1, 2}) {
    for (const auto& sizes : kWriteSizes) WriteRefused(dir.path(), sizes, allowed, seed++);
  }
}

// O_DIRECT where the file system takes it: the whole pages of a 1 MiB shard file are not in the
// page cache after close (written around it), only its last partial page is.
void test_shard_bytes_bypass_the_page_cache(void**) {
  TempDir dir("/var/tmp");
  if (!TakesDirectIo(dir.path())) {
    fprintf(stderr, "SKIP: /var/tmp's file system refuses O_DIRECT (tmpfs?)\n");
    skip();
  }
  auto disk = MustOpenDisk(dir.path());
  assert_true(disk->make_volume("v").ok());
  const size_t size = 12 + (1 << 20);
  WriteAndCheck(*disk, {size}, 7);
  // read_all above read the file back, which cached it: write it again, then look.
  const std::vector<uint8_t> bytes = RandomBytes(size, 8);
  auto w = disk->create_file("v", "k", "f");
  assert_true(w.has_value());
  assert_true((*w)->write(bytes).ok());
  assert_true((*w)->close().ok());
  const std::string path = dir.path() + "/v/k/f";
  assert_false(PageCached(path, 0));
  assert_false(PageCached(path, 512 * 1024));
  assert_true(PageCached(path, static_cast<off_t>(size - 1)));
}

// Writers of one drive on several threads share its staging slot (and the process's buffers):
// each file holds exactly its own bytes. Run under ThreadSanitizer (ci/tsan.sh).
void test_concurrent_writers_share_the_drive_slot(void**) {
  TempDir dir("/var/tmp");
  auto disk = MustOpenDisk(dir.path());
  assert_true(disk->make_volume("v").ok());
  constexpr int kWriters = 6;
  const std::vector<size_t> sizes = {12, 300000, 12 + 512 * 1024, 4097, 70000};
  const size_t total = TotalOf(sizes);
  std::vector<std::vector<uint8_t>> bytes;
  for (int w = 0; w < kWriters; ++w) bytes.push_back(RandomBytes(total, 50 + w));
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      for (int round = 0; round < 4; ++round) {
        auto writer = disk->create_file("v", "k" + std::to_string(w), "f");
        if (!writer || !WriteInPieces(**writer, bytes[w], sizes)) failures.fetch_add(1);
      }
    });
  }
  for (auto& t : threads) t.join();
  assert_int_equal(failures.load(), 0);
  for (int w = 0; w < kWriters; ++w) {
    auto back = disk->read_all("v", "k" + std::to_string(w), "f");
    assert_true(back.has_value());
    assert_int_equal(back->size(), total);
    assert_true(std::equal(bytes[w].begin(), bytes[w].end(),
                           reinterpret_cast<const uint8_t*>(back->data())));
  }
}

// A writer dropped before close leaves no file, direct or not.
void test_unclosed_writer_leaves_nothing(void**) {
  for (const char* base : {"/var/tmp", "/dev/shm"}) {
    TempDir dir(base);
    auto disk = MustOpenDisk(dir.path());
    assert_true(disk->make_volume("v").ok());
    {
      auto w = disk->create_file("v", "k", "f");
      assert_true(w.has_value());
      const std::vector<uint8_t> bytes = RandomBytes(300000, 3);
      assert_true((*w)->write(bytes).ok());
    }
    assert_int_equal(disk->read_all("v", "k", "f").error().code(), flashstor::Code::kFileNotFound);
  }
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_any_write_sizes_direct),
      cmocka_unit_test(test_refused_direct_writes_go_through_the_page_cache),
      cmocka_unit_test(test_shard_bytes_bypass_the_page_cache),
      cmocka_unit_test(test_concurrent_writers_share_the_drive_slot),
      cmocka_unit_test(test_unclosed_writer_leaves_nothing),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
