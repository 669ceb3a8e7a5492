// Unit tests of LocalDisk's shard file writer (shard_file_writer.h): whatever the sizes of the
// writes, and whether their bytes are page-aligned in memory (a shard buffer) or not, the file
// holds exactly the bytes written; on a file system that takes O_DIRECT (ext4 under /var/tmp)
// they went around the page cache, from the caller's memory itself when it was page-aligned,
// and where direct writes are refused (a stand-in pwrite saying EINVAL, as a file system
// without direct I/O does) through it.
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
#include "flashstor/mem/shard_buffer.h"
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
  // No readahead from this descriptor: a RWF_NOWAIT read that misses still starts one (kernel
  // 6.x), which could bring in the page a later check of this test expects absent.
  (void)posix_fadvise(fd, 0, 0, POSIX_FADV_RANDOM);
  char byte;
  struct iovec iov = {&byte, 1};
  ssize_t n = preadv2(fd, &iov, 1, offset, RWF_NOWAIT);
  int err = errno;
  close(fd);
  if (n < 0 && err == EOPNOTSUPP) return true;  // no RWF_NOWAIT: cannot tell
  return n == 1;
}

// bytes in a shard buffer large enough to be mapped on its own, so page-aligned (as the
// erasure engine's stripes are); its first byte is the first of bytes.
flashstor::mem::ShardBuffer AlignedCopy(const std::vector<uint8_t>& bytes) {
  flashstor::mem::ShardBuffer out;
  out.reserve(std::max(bytes.size(), flashstor::mem::kLargeBufferBytes));
  out.assign(bytes.begin(), bytes.end());
  assert_int_equal(reinterpret_cast<uintptr_t>(out.data()) % 4096, 0);
  return out;
}

size_t TotalOf(const std::vector<size_t>& sizes) {
  size_t total = 0;
  for (size_t s : sizes) total += s;
  return total;
}

// Writes bytes through w in pieces of `sizes`, then closes it; whether every step succeeded.
bool WriteInPieces(FileWriter& w, std::span<const uint8_t> bytes,
                   const std::vector<size_t>& sizes) {
  size_t at = 0;
  for (size_t s : sizes) {
    if (!w.write(bytes.subspan(at, s)).ok()) return false;
    at += s;
  }
  return w.close().ok();
}

// Writes `sizes` one after the other into v/k/f (from page-aligned memory when aligned),
// closes, and checks the file is exactly them.
std::vector<uint8_t> WriteAndCheck(LocalDisk& disk, const std::vector<size_t>& sizes, uint32_t seed,
                                   bool aligned = false) {
  const size_t total = TotalOf(sizes);
  const std::vector<uint8_t> bytes = RandomBytes(total, seed);
  auto w = disk.create_file("v", "k", "f");
  assert_true(w.has_value());
  if (aligned) {
    assert_true(WriteInPieces(**w, AlignedCopy(bytes), sizes));
  } else {
    assert_true(WriteInPieces(**w, bytes, sizes));
  }
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
  for (bool aligned : {false, true}) {
    for (const auto& sizes : kWriteSizes) WriteAndCheck(*disk, sizes, seed++, aligned);
  }
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

// Writes sizes through a writer whose direct writes are refused after `allowed` of them (from
// page-aligned memory when aligned).
void WriteRefused(const std::string& dir, const std::vector<size_t>& sizes, int allowed,
                  uint32_t seed, bool aligned) {
  const std::string path = dir + "/f";
  int dir_fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_DIRECT, 0600);
  assert_true(dir_fd >= 0 && fd >= 0);
  g_direct_writes_allowed = allowed;
  const size_t total = TotalOf(sizes);
  const std::vector<uint8_t> bytes = RandomBytes(total, seed);
  auto w = MakeShardFileWriter(fd, dir_fd, "f", false, nullptr, "v/k/f",
                               std::make_shared<StageSlots>(kStageSlotsPerDrive), RefusingPwrite);
  if (aligned) {
    assert_true(WriteInPieces(*w, AlignedCopy(bytes), sizes));
  } else {
    assert_true(WriteInPieces(*w, bytes, sizes));
  }
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
  for (bool aligned : {false, true}) {
    for (int allowed : {0, 1, 2}) {
      for (const auto& sizes : kWriteSizes)
        WriteRefused(dir.path(), sizes, allowed, seed++, aligned);
    }
  }
}

// pwrite that notes the memory and length of each direct write.
std::vector<std::pair<const void*, size_t>> g_direct_writes;
ssize_t RecordingPwrite(int fd, const void* buf, size_t count, off_t offset) {
  if ((fcntl(fd, F_GETFL) & O_DIRECT) != 0) g_direct_writes.emplace_back(buf, count);
  return ::pwrite(fd, buf, count, offset);
}

// A shard in page-aligned memory (the erasure engine's stripes) is written from that memory:
// its whole pages in one direct write from the shard's own bytes, no staging copy; only the
// last partial page is copied (and written through the page cache at close). Unaligned bytes
// still go through a staging buffer.
void test_aligned_shard_written_in_place(void**) {
  TempDir dir("/var/tmp");
  if (!TakesDirectIo(dir.path())) {
    fprintf(stderr, "SKIP: /var/tmp's file system refuses O_DIRECT (tmpfs?)\n");
    skip();
  }
  const size_t size = 32 + 512 * 1024;  // a 1 MiB block's shard of four drives, with its digest
  const std::vector<uint8_t> bytes = RandomBytes(size, 9);
  for (bool aligned : {true, false}) {
    const std::string path = dir.path() + (aligned ? "/aligned" : "/unaligned");
    int dir_fd = open(dir.path().c_str(), O_RDONLY | O_DIRECTORY);
    int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_DIRECT, 0600);
    assert_true(dir_fd >= 0 && fd >= 0);
    g_direct_writes.clear();
    auto w =
        MakeShardFileWriter(fd, dir_fd, aligned ? "aligned" : "unaligned", false, nullptr, "v/k/f",
                            std::make_shared<StageSlots>(kStageSlotsPerDrive), RecordingPwrite);
    flashstor::mem::ShardBuffer shard = AlignedCopy(bytes);
    std::vector<uint8_t> unaligned_storage(size + 1);
    std::span<const uint8_t> data = shard;
    if (!aligned) {
      std::copy(bytes.begin(), bytes.end(), unaligned_storage.begin() + 1);
      data = std::span<const uint8_t>(unaligned_storage).subspan(1);
    }
    assert_true(w->write(data).ok());
    assert_true(w->close().ok());
    if (aligned) {
      assert_int_equal(g_direct_writes.size(), 1);
      assert_ptr_equal(g_direct_writes[0].first, shard.data());
      assert_int_equal(g_direct_writes[0].second, 512 * 1024);
    } else {
      assert_true(g_direct_writes.size() >= 2);  // 256 KiB staging buffers
      for (const auto& [buf, count] : g_direct_writes) {
        assert_true(buf < data.data() || buf >= data.data() + data.size());
      }
    }
    std::vector<uint8_t> back(size + 1);
    int rfd = open(path.c_str(), O_RDONLY);
    assert_true(rfd >= 0);
    assert_int_equal(pread(rfd, back.data(), back.size(), 0), size);
    close(rfd);
    back.resize(size);
    assert_true(back == bytes);
  }
}

// Writes the blocks of a shard file (digest and shard: 32 + block_bytes[b] bytes each, random)
// with write_in_place from page-aligned shard buffers, each block after `room` bytes:
// ShardWriters' lead (the file's length past its last whole page) when lead_room, else none.
// Returns the buffers' bytes in file order; pwrite is the system call the writer makes.
std::vector<uint8_t> WriteBlocksInPlace(const std::string& dir, const std::string& name,
                                        const std::vector<size_t>& block_bytes, bool lead_room,
                                        PwriteFn pwrite,
                                        std::vector<flashstor::mem::ShardBuffer>& buffers) {
  int dir_fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  int fd = open((dir + "/" + name).c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_DIRECT, 0600);
  assert_true(dir_fd >= 0 && fd >= 0);
  auto w = MakeShardFileWriter(fd, dir_fd, name, false, nullptr, "v/k/f",
                               std::make_shared<StageSlots>(kStageSlotsPerDrive), pwrite);
  std::vector<uint8_t> all;
  uint64_t file_bytes = 0;
  buffers.clear();
  buffers.reserve(block_bytes.size());  // the recorded pointers stay valid
  for (size_t b = 0; b < block_bytes.size(); ++b) {
    const size_t room = lead_room ? static_cast<size_t>(file_bytes % 4096) : 0;
    const std::vector<uint8_t> bytes = RandomBytes(32 + block_bytes[b], 300 + b);
    flashstor::mem::ShardBuffer& buf = buffers.emplace_back();
    buf.reserve(flashstor::mem::kLargeBufferBytes + 2 * 4096);
    buf.assign(room, 0xEE);
    buf.insert(buf.end(), bytes.begin(), bytes.end());
    assert_int_equal(reinterpret_cast<uintptr_t>(buf.data()) % 4096, 0);
    assert_true(w->write_in_place(buf, room).ok());
    all.insert(all.end(), bytes.begin(), bytes.end());
    file_bytes += bytes.size();
  }
  assert_true(w->close().ok());
  return all;
}

std::vector<uint8_t> ReadFile(const std::string& path) {
  std::vector<uint8_t> back(64 << 20);
  int fd = open(path.c_str(), O_RDONLY);
  assert_true(fd >= 0);
  ssize_t n = pread(fd, back.data(), back.size(), 0);
  close(fd);
  assert_true(n >= 0);
  back.resize(static_cast<size_t>(n));
  return back;
}

// The blocks of a multi-block part, each after the room that lines it up with its place in the
// file (ShardWriters::lead), are written from their own buffers: every direct write comes from
// the memory of the block it writes (the carried bytes moved into the room in front), none
// from a staging buffer, and the file holds exactly the blocks. Without the room (or with the
// wrong one) the blocks after the first are staged, with the same file.
void test_blocks_written_in_place_after_their_lead(void**) {
  TempDir dir("/var/tmp");
  if (!TakesDirectIo(dir.path())) {
    fprintf(stderr, "SKIP: /var/tmp's file system refuses O_DIRECT (tmpfs?)\n");
    skip();
  }
  const std::vector<size_t> blocks = {256 * 1024, 256 * 1024, 256 * 1024, 256 * 1024 - 5, 1000};
  for (bool lead_room : {true, false}) {
    g_direct_writes.clear();
    std::vector<flashstor::mem::ShardBuffer> buffers;
    const std::string name = lead_room ? "led" : "unled";
    const std::vector<uint8_t> all =
        WriteBlocksInPlace(dir.path(), name, blocks, lead_room, RecordingPwrite, buffers);
    assert_true(ReadFile(dir.path() + "/" + name) == all);
    size_t from_blocks = 0;
    for (const auto& [ptr, count] : g_direct_writes) {
      const auto* p = static_cast<const uint8_t*>(ptr);
      for (const auto& buf : buffers) {
        if (p >= buf.data() && p + count <= buf.data() + buf.size()) ++from_blocks;
      }
    }
    if (lead_room) {
      assert_int_equal(g_direct_writes.size(), 4);  // the last 1,032 bytes: under a page
      assert_int_equal(from_blocks, g_direct_writes.size());
    } else {
      assert_int_equal(from_blocks, 1);  // only the first block, which starts on a page
    }
  }
  // Direct I/O refused after the first write: the rest through the page cache, same bytes.
  g_direct_writes_allowed = 1;
  std::vector<flashstor::mem::ShardBuffer> buffers;
  const std::vector<uint8_t> all =
      WriteBlocksInPlace(dir.path(), "refused", blocks, true, RefusingPwrite, buffers);
  assert_true(ReadFile(dir.path() + "/refused") == all);
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
  // read_all above read the file back, which cached it: write it again, then look. The
  // kernel may still serve one direct write through the page cache (iomap falls back when it
  // cannot invalidate the range: seen once in six runs under ASan on kernel 6.18), so one of
  // five writes must leave the whole pages uncached; a writer without O_DIRECT leaves none so.
  const std::string path = dir.path() + "/v/k/f";
  bool bypassed = false;
  for (int attempt = 0; attempt < 5 && !bypassed; ++attempt) {
    const std::vector<uint8_t> bytes = RandomBytes(size, 8 + attempt);
    auto w = disk->create_file("v", "k", "f");
    assert_true(w.has_value());
    assert_true((*w)->write(bytes).ok());
    assert_true((*w)->close().ok());
    bypassed = !PageCached(path, 512 * 1024) && !PageCached(path, 0);
    if (!bypassed) fprintf(stderr, "attempt %d: a whole page was cached\n", attempt + 1);
  }
  assert_true(bypassed);
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
      cmocka_unit_test(test_aligned_shard_written_in_place),
      cmocka_unit_test(test_blocks_written_in_place_after_their_lead),
      cmocka_unit_test(test_shard_bytes_bypass_the_page_cache),
      cmocka_unit_test(test_concurrent_writers_share_the_drive_slot),
      cmocka_unit_test(test_unclosed_writer_leaves_nothing),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
