// LocalDisk file contents: atomic whole-file writes (temp file and rename), bounded reads (an
// object's metadata file read again when a write of it in place overlapped), and the streaming
// shard FileWriter / positional FileReader.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "flashstor/storage/local_disk.h"
#include "flashstor/storage/uuid.h"
#include "fs_util.h"
#include "shard_file_writer.h"

namespace flashstor::storage {
namespace {

constexpr mode_t kFileMode = 0640;
constexpr size_t kFirstReadBytes = 8192;
// Whatever the page size, a cached read stopped by an uncached page ends on a multiple of it.
constexpr size_t kPageBytes = 4096;

class LocalFileReader final : public FileReader {
 public:
  LocalFileReader(int fd, uint64_t size) : fd_(fd), size_(size) {}
  ~LocalFileReader() override { close(fd_); }
  uint64_t size() const override { return size_; }
  Result<size_t> read_at(std::span<uint8_t> out, uint64_t offset) override {
    int64_t n = fs::PreadFull(fd_, out, offset);
    if (n < 0) return std::unexpected(StatusFromErrno(static_cast<int>(-n), "read failed"));
    return static_cast<size_t>(n);
  }
  Result<size_t> read_at_cached(std::span<uint8_t> out, uint64_t offset) override {
    int64_t n = fs::PreadFullCached(fd_, out, offset);
    if (n == -EAGAIN) return Err(Code::kWouldBlock, "not in the page cache");
    if (n < 0) return std::unexpected(StatusFromErrno(static_cast<int>(-n), "read failed"));
    return static_cast<size_t>(n);
  }

 private:
  int fd_;
  uint64_t size_;
};

}  // namespace

Result<std::string> LocalDisk::read_file(const std::string& rel, std::string_view volume,
                                         bool cached) {
  if (!MetaCache::Cacheable(rel)) return read_file_once(rel, volume, cached);
  // A write of the file in place (or of one sharing its slot) overlapping the read would have
  // it read torn: read again (MetaWriteSeq).
  return meta_cache_->write_seq().read_whole(rel, cached,
                                             [&] { return read_file_once(rel, volume, cached); });
}

Result<std::string> LocalDisk::read_file_once(const std::string& rel, std::string_view volume,
                                              bool cached) {
  int fd = cached ? fs::OpenCachedReadOnly(root_fd_, rel.c_str())
                  : openat(root_fd_, rel.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd == -EAGAIN) return Err(Code::kWouldBlock, "path not in the dentry cache");
  if (fd < 0) return std::unexpected(error(cached ? -fd : errno, "open failed", volume));
  Result<std::string> out = read_whole(fd, volume, cached);
  close(fd);
  return out;
}

Result<std::string> LocalDisk::read_whole(int fd, std::string_view volume, bool cached) {
  auto failed = [&](int64_t n) -> Status {
    if (n == -EAGAIN) return Status(Code::kWouldBlock, "not in the page cache");
    // A directory at the name reads EISDIR: no file there.
    if (n == -EISDIR) return error(ENOENT, "not a file", volume);
    return error(static_cast<int>(-n), "read failed", volume);
  };
  auto read_rest = [&](std::string& out, size_t want) -> Status {  // appends up to want bytes
    const size_t from = out.size();
    out.resize(from + want);
    std::span<uint8_t> into{reinterpret_cast<uint8_t*>(out.data()) + from, want};
    const int64_t n = cached ? fs::PreadFullCached(fd, into, from) : fs::PreadFull(fd, into, from);
    if (n < 0) return failed(n);
    out.resize(from + static_cast<size_t>(n));
    return Status::Ok();
  };
  // One read of kFirstReadBytes: a file shorter than that (most metadata files) needs neither
  // an fstat for its size nor a second read to see its end. A short read is the end of the
  // file, unless a cached read stopped at a page not in the cache: that one ends on a page
  // boundary, and only then is the rest asked for.
  std::string out(kFirstReadBytes, '\0');
  const int64_t n =
      fs::PreadOnce(fd, {reinterpret_cast<uint8_t*>(out.data()), out.size()}, 0, cached);
  if (n < 0) return std::unexpected(failed(n));
  out.resize(static_cast<size_t>(n));
  if (out.size() < kFirstReadBytes) {
    if (!cached || out.size() % kPageBytes != 0) return out;
    FS_RETURN_IF_ERROR(read_rest(out, kFirstReadBytes - out.size()));
    if (out.size() < kFirstReadBytes) return out;
  }
  struct stat st {};
  if (fstat(fd, &st) != 0) return std::unexpected(error(errno, "stat failed", volume));
  const uint64_t size = static_cast<uint64_t>(st.st_size);
  if (size > kMaxReadAllBytes) return Err(Code::kTooLarge, "file larger than read_all limit");
  if (size > out.size()) FS_RETURN_IF_ERROR(read_rest(out, size - out.size()));
  return out;
}

Result<std::string> LocalDisk::read_all(std::string_view volume, std::string_view key,
                                        std::string_view file) {
  Result<std::string> rel = path_of(volume, key, file);
  if (!rel) return std::unexpected(rel.error());
  // Read from the drive (heal and commits must see what it holds), kept for cached reads.
  if (!MetaCache::Cacheable(*rel)) return read_file(*rel, volume, false);
  const MetaCache::Ticket ticket = meta_cache_->ticket(*rel);
  Result<std::string> out = read_file(*rel, volume, false);
  if (out) meta_cache_->insert(*rel, std::make_shared<const std::string>(*out), ticket);
  return out;
}

Result<SharedBytes> LocalDisk::read_all_cached(std::string_view volume, std::string_view key,
                                               std::string_view file) {
  Result<std::string> rel = path_of(volume, key, file);
  if (!rel) return std::unexpected(rel.error());
  if (!MetaCache::Cacheable(*rel)) {  // not kept: the read's buffer is passed on as it is
    Result<std::string> out = read_file(*rel, volume, true);
    if (!out) return std::unexpected(out.error());
    return std::make_shared<const std::string>(std::move(*out));
  }
  if (SharedBytes hit = meta_cache_->find(*rel)) return hit;  // no copy: shared
  const MetaCache::Ticket ticket = meta_cache_->ticket(*rel);
  Result<std::string> out = read_file(*rel, volume, true);
  if (!out) return std::unexpected(out.error());
  // A copy, not the read's buffer: that one has kFirstReadBytes of capacity whatever the
  // file's size, and the cache would keep all of it (it counts what the bytes take).
  auto shared = std::make_shared<const std::string>(*out);
  meta_cache_->insert(*rel, shared, ticket);
  return shared;
}

Status LocalDisk::write_all(std::string_view volume, std::string_view key, std::string_view file,
                            std::string_view data) {
  Result<std::string> rel = path_of(volume, key, file);
  if (!rel) return rel.error();
  if (file.empty()) return Status(Code::kInvalidArgument, "write_all needs a file name");
  if (Journaled(volume, file)) return write_meta(*rel, data, volume);
  ChangeNotice notice(*meta_cache_, *rel);
  FS_RETURN_IF_ERROR(replace_file(*rel, data, volume));
  if (int err = fs::FsyncDir(root_fd_, fs::Dirname(*rel)); err != 0) {
    return error(err, "fsync failed", volume);
  }
  return Status::Ok();
}

Status LocalDisk::replace_file(const std::string& rel, std::string_view data,
                               std::string_view volume, bool durable) {
  std::string tmp =
      std::string(kSysVolume) + "/" + std::string(kTmpKey) + "/" + NewTempName() + ".w";
  int fd = openat(root_fd_, tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, kFileMode);
  if (fd < 0 && errno == ENOENT) {
    fs::MkdirAll(root_fd_, fs::Dirname(tmp));
    fd = openat(root_fd_, tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, kFileMode);
  }
  if (fd < 0) return error(errno, "cannot create temp file", "");
  int err = fs::WriteFull(fd, fs::Bytes(data));
  if (err == 0 && durable && fsync(fd) != 0) err = errno;
  close(fd);
  // The rename first: the parent exists for every write but a key's first, so creating it
  // up front would cost a failing mkdirat per level on every write.
  for (int attempt = 0; err == 0 && attempt < 4; ++attempt) {
    err = renameat(root_fd_, tmp.c_str(), root_fd_, rel.c_str()) == 0 ? 0 : errno;
    if (err != ENOENT) break;
    // ENOENT: no parent yet, or it was pruned by a concurrent delete: (re)create, retry.
    err = fs::MkdirAll(root_fd_, fs::Dirname(rel), fs::kVolumeDepth, durable);
    if (err == 0 && attempt == 3) err = ENOENT;
  }
  if (err != 0) {
    unlinkat(root_fd_, tmp.c_str(), 0);
    return error(err, "write_all failed", volume);
  }
  return Status::Ok();
}

Result<std::unique_ptr<FileWriter>> LocalDisk::create_file(std::string_view volume,
                                                           std::string_view key,
                                                           std::string_view file) {
  Result<std::string> rel = path_of(volume, key, file);
  if (!rel) return std::unexpected(rel.error());
  if (file.empty()) return Err(Code::kInvalidArgument, "create_file needs a file name");
  std::string dir(fs::Dirname(*rel));
  std::string name(fs::Basename(*rel));
  const bool durable_dirs = !IsTemporary(volume, key);
  int dir_fd = -1;
  int err = 0;
  for (int attempt = 0; attempt < 4 && dir_fd < 0; ++attempt) {
    if (err = fs::MkdirAll(root_fd_, dir, fs::kVolumeDepth, durable_dirs); err != 0) break;
    dir_fd = openat(root_fd_, dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    err = dir_fd < 0 ? errno : 0;
  }
  if (dir_fd < 0) return std::unexpected(error(err, "cannot create parent", volume));
  constexpr int kFlags = O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW;
  const bool metadata = MetaCache::Cacheable(*rel);
  bool direct = !metadata && direct_io_.load(std::memory_order_relaxed);
  int fd = openat(dir_fd, name.c_str(), kFlags | (direct ? O_DIRECT : 0), kFileMode);
  if (fd < 0 && direct && errno == EINVAL) {  // no direct I/O here (older tmpfs, some FUSE)
    direct_io_.store(false, std::memory_order_relaxed);
    direct = false;
    fd = openat(dir_fd, name.c_str(), kFlags, kFileMode);
  }
  if (fd < 0) {
    err = errno;
    close(dir_fd);
    return std::unexpected(error(err, "cannot create file", volume));
  }
  std::shared_ptr<MetaCache> cache;
  if (metadata) {
    cache = meta_cache_;
    cache->changed(*rel);  // truncated
  }
  return MakeShardFileWriter(fd, dir_fd, std::move(name), durable_dirs, std::move(cache),
                             std::move(*rel), direct ? stage_slots_ : nullptr);
}

void LocalDisk::ReleaseStageBuffers() {
  ReleaseShardStageBuffers();
}

Result<std::unique_ptr<FileReader>> LocalDisk::open_file(std::string_view volume,
                                                         std::string_view key,
                                                         std::string_view file) {
  Result<std::string> rel = path_of(volume, key, file);
  if (!rel) return std::unexpected(rel.error());
  return open_reader(*rel, volume, file, false);
}

Result<std::unique_ptr<FileReader>> LocalDisk::open_file_cached(std::string_view volume,
                                                                std::string_view key,
                                                                std::string_view file) {
  Result<std::string> rel = path_of(volume, key, file);
  if (!rel) return std::unexpected(rel.error());
  return open_reader(*rel, volume, file, true);
}

Result<std::unique_ptr<FileReader>> LocalDisk::open_reader(const std::string& rel,
                                                           std::string_view volume,
                                                           std::string_view file, bool cached) {
  auto open_at = [&](const char* path) {  // fd or -errno
    if (cached) return fs::OpenCachedReadOnly(root_fd_, path);
    int fd = openat(root_fd_, path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    return fd >= 0 ? fd : -errno;
  };
  int fd = open_at(rel.c_str());
  if (fd == -ENOENT || fd == -ENOTDIR) {
    // An overwrite or delete moved the data dir to the trash after this reader resolved
    // its version: read it there (the rename is atomic, so one of the two paths holds it).
    if (auto trashed = TrashPathOf(volume, file)) {
      if (int t = open_at(trashed->c_str()); t >= 0 || t == -EAGAIN) fd = t;
    }
  }
  if (fd == -EAGAIN) return Err(Code::kWouldBlock, "path not in the dentry cache");
  if (fd < 0) return std::unexpected(error(-fd, "open failed", volume));
  struct stat st {};
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    return Err(Code::kFileNotFound, "not a regular file");
  }
  return std::make_unique<LocalFileReader>(fd, static_cast<uint64_t>(st.st_size));
}

}  // namespace flashstor::storage
