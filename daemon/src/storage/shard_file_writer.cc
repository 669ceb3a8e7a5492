// ShardFileWriter: LocalDisk's streaming writer of shard files, with O_DIRECT where the file
// system takes it and the page cache where it does not.
#include "shard_file_writer.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>

#include "flashstor/mem/buffer_pool.h"
#include "fs_util.h"

namespace flashstor::storage {
namespace {

// Every direct write starts and ends on a page boundary, from a page-aligned buffer; the file's
// last partial page goes through the page cache at close().
constexpr size_t kDirectAlign = 4096;       // a multiple of every logical block size
constexpr size_t kStageBytes = 256 * 1024;  // the most one direct write carries
// How long a write waits for its drive's staging slot before it goes through the page cache
// instead (a drive whose writes hang holds its own slot, not the other drives').
constexpr auto kStageWait = std::chrono::milliseconds(200);

// The buffers themselves, shared by the drives: up to kStagesKept stay allocated between
// requests (IdleTrim frees them with ReleaseShardStageBuffers).
constexpr size_t kStagesKept = 8;
mem::BufferPool& StageBuffers() {
  static mem::BufferPool pool(kStageBytes + kDirectAlign, kStagesKept);
  return pool;
}

class ShardFileWriter final : public FileWriter {
 public:
  // sync_dir: close() also fsyncs the directory (not under tmp/: storage_api.h, Durability).
  // cache: set when the file is one MetaCache holds (rel); told of every change of it.
  // stages: set when fd was opened with O_DIRECT; the drive's staging slots.
  ShardFileWriter(int fd, int dir_fd, std::string name, bool sync_dir,
                  std::shared_ptr<MetaCache> cache, std::string rel,
                  std::shared_ptr<StageSlots> stages, PwriteFn pwrite)
      : fd_(fd),
        dir_fd_(dir_fd),
        name_(std::move(name)),
        sync_dir_(sync_dir),
        cache_(std::move(cache)),
        rel_(std::move(rel)),
        direct_(stages != nullptr),
        stages_(std::move(stages)),
        pwrite_(pwrite) {}
  ~ShardFileWriter() override {
    if (fd_ >= 0) {
      ::close(fd_);
      unlinkat(dir_fd_, name_.c_str(), 0);
    }
    ::close(dir_fd_);
    if (cache_ != nullptr) cache_->changed(rel_);
  }

  Status write(std::span<const uint8_t> data) override {
    if (fd_ < 0) return Status(Code::kInternal, "write after close");
    int err = direct_ ? write_direct(data) : write_buffered(data.data(), data.size());
    return err == 0 ? Status::Ok() : StatusFromErrno(err, "write failed");
  }

  Status write_in_place(std::span<uint8_t> buf, size_t room) override {
    if (fd_ < 0) return Status(Code::kInternal, "write after close");
    if (!direct_ || room != carried_ ||
        reinterpret_cast<uintptr_t>(buf.data()) % kDirectAlign != 0) {
      return write(buf.subspan(room));
    }
    // The carried bytes go in the room before the data: buf then starts on the page at
    // offset_, and its whole pages are written from where they are.
    std::memcpy(buf.data(), carry_.data(), carried_);
    carried_ = 0;
    int err = write_direct_in_place(buf);
    return err == 0 ? Status::Ok() : StatusFromErrno(err, "write failed");
  }

  Status close() override {
    if (fd_ < 0) return Status(Code::kInternal, "double close");
    if (cache_ != nullptr) cache_->changed(rel_);
    // The last partial page, through the page cache (a direct write must end on a boundary).
    int err = carried_ > 0 ? write_buffered(carry_.data(), carried_) : 0;
    if (err == 0) carried_ = 0;
    if (err == 0 && fsync(fd_) != 0) err = errno;
    if (err == 0 && sync_dir_ && fsync(dir_fd_) != 0) err = errno;
    if (err != 0) return StatusFromErrno(err, "fsync failed");  // destructor removes the file
    ::close(fd_);
    fd_ = -1;
    return Status::Ok();
  }

 private:
  // The carried bytes and data, staged page-aligned and written in whole pages; what is left
  // past the last whole page is carried to the next call. The staging buffer is held only
  // during the call, so an open writer between calls costs its 4 KiB carry, not 256.
  int write_direct(std::span<const uint8_t> data) {
    // Nothing carried (the file ends on a page) and data page-aligned in memory (a shard
    // buffer, mem::ShardBuffer): its whole pages go straight from it, with no staging copy.
    if (carried_ == 0 && reinterpret_cast<uintptr_t>(data.data()) % kDirectAlign == 0) {
      return write_direct_in_place(data);
    }
    // At most StageSlots of this drive's writes hold a buffer at once (memory is bounded by
    // drives, not by requests); none free within kStageWait, or no memory: the page cache.
    if (!stages_->try_acquire_for(kStageWait)) return write_rest_buffered(carry_.data(), data);
    struct Slot {
      StageSlots& slots;
      ~Slot() { slots.release(); }
    } slot{*stages_};
    mem::BufferPool::Lease lease = StageBuffers().take();
    if (!lease) return write_rest_buffered(carry_.data(), data);
    uint8_t* stage = Aligned(lease.data());
    size_t fill = carried_;
    std::memcpy(stage, carry_.data(), fill);
    carried_ = 0;
    while (!data.empty()) {
      const size_t n = std::min(kStageBytes - fill, data.size());
      std::memcpy(stage + fill, data.data(), n);
      fill += n;
      data = data.subspan(n);
      const size_t whole = fill & ~(kDirectAlign - 1);
      if (data.empty() || fill == kStageBytes) {
        if (int err = pwrite_direct(stage, whole); err != 0) return err;
        std::memmove(stage, stage + whole, fill - whole);
        fill -= whole;
        if (!direct_) {  // direct I/O was refused: the rest through the page cache
          carried_ = fill;
          return write_rest_buffered(stage, data);
        }
      }
    }
    std::memcpy(carry_.data(), stage, fill);
    carried_ = fill;
    return 0;
  }
  // The whole pages of page-aligned data written from where they are, the rest carried (or,
  // once direct I/O was refused, written through the page cache).
  int write_direct_in_place(std::span<const uint8_t> data) {
    const size_t whole = data.size() & ~(kDirectAlign - 1);
    if (whole > 0) {
      if (int err = pwrite_direct(data.data(), whole); err != 0) return err;
      data = data.subspan(whole);
      if (!direct_) return write_buffered(data.data(), data.size());
    }
    std::memcpy(carry_.data(), data.data(), data.size());
    carried_ = data.size();
    return 0;
  }
  // The carried_ bytes at staged, then data, through the page cache.
  int write_rest_buffered(const uint8_t* staged, std::span<const uint8_t> data) {
    int err = write_buffered(staged, carried_);
    carried_ = 0;
    return err != 0 ? err : write_buffered(data.data(), data.size());
  }

  // Writes size bytes (whole pages) at offset_ with O_DIRECT. A file system that turns the
  // direct write down (EINVAL) gets these bytes and the rest of the file through the page cache.
  int pwrite_direct(const uint8_t* data, size_t size) {
    const uint64_t start = offset_;
    int err = pwrite_all(data, size);
    if (err != EINVAL) return err;
    const size_t done = static_cast<size_t>(offset_ - start);
    return write_buffered(data + done, size - done);
  }

  // Positional writes through the page cache from offset_ on (O_DIRECT cleared first).
  int write_buffered(const uint8_t* data, size_t size) {
    if (direct_) {
      int flags = fcntl(fd_, F_GETFL);
      if (flags < 0 || fcntl(fd_, F_SETFL, flags & ~O_DIRECT) != 0) return errno;
      direct_ = false;
    }
    return pwrite_all(data, size);
  }

  // All of data at offset_ (advanced by what was written), or the errno that stopped it.
  int pwrite_all(const uint8_t* data, size_t size) {
    size_t done = 0;
    while (done < size) {
      ssize_t n = pwrite_(fd_, data + done, size - done, static_cast<off_t>(offset_));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return errno;
      if (n == 0) return EIO;
      done += static_cast<size_t>(n);
      offset_ += static_cast<uint64_t>(n);
    }
    return 0;
  }

  static uint8_t* Aligned(char* p) {
    auto v = reinterpret_cast<uintptr_t>(p);
    return reinterpret_cast<uint8_t*>((v + kDirectAlign - 1) & ~(kDirectAlign - 1));
  }

  int fd_;
  int dir_fd_;
  std::string name_;
  bool sync_dir_;
  std::shared_ptr<MetaCache> cache_;
  std::string rel_;
  bool direct_;
  std::shared_ptr<StageSlots> stages_;
  PwriteFn pwrite_;
  uint64_t offset_ = 0;                      // bytes in the file
  std::array<uint8_t, kDirectAlign> carry_;  // bytes past offset_ not written yet
  size_t carried_ = 0;
};

}  // namespace

void ReleaseShardStageBuffers() {
  StageBuffers().clear();
}

std::unique_ptr<FileWriter> MakeShardFileWriter(int fd, int dir_fd, std::string name, bool sync_dir,
                                                std::shared_ptr<MetaCache> cache, std::string rel,
                                                std::shared_ptr<StageSlots> stages,
                                                PwriteFn pwrite) {
  return std::make_unique<ShardFileWriter>(fd, dir_fd, std::move(name), sync_dir, std::move(cache),
                                           std::move(rel), std::move(stages), pwrite);
}

}  // namespace flashstor::storage
