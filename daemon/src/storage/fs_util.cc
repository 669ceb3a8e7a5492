// POSIX helpers for LocalDisk: mkdir -p with directory fsyncs, recursive removal, pruning,
// full reads and their non-blocking (cache-only) variants.
#include "fs_util.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>

namespace flashstor::storage::fs {
namespace {

constexpr mode_t kDirMode = 0750;

int OpenDir(int root_fd, std::string_view dir) {
  std::string d = dir.empty() ? std::string(".") : std::string(dir);
  return openat(root_fd, d.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

// Removes everything inside the open directory dfd (which it closes).
int EmptyDir(int dfd) {
  DIR* d = fdopendir(dfd);
  if (d == nullptr) {
    int err = errno;
    close(dfd);
    return err;
  }
  int result = 0;
  while (dirent* e = readdir(d)) {
    std::string_view name = e->d_name;
    if (name == "." || name == "..") continue;
    if (unlinkat(dirfd(d), e->d_name, 0) == 0) continue;
    if (errno != EISDIR && errno != EPERM) {
      if (errno != ENOENT) result = errno;
      continue;
    }
    int sub = openat(dirfd(d), e->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
    if (sub < 0) {
      result = errno;
      continue;
    }
    if (int err = EmptyDir(sub); err != 0) result = err;
    if (unlinkat(dirfd(d), e->d_name, AT_REMOVEDIR) != 0 && errno != ENOENT) result = errno;
  }
  closedir(d);
  return result;
}

}  // namespace

std::string_view Dirname(std::string_view path) {
  size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? std::string_view() : path.substr(0, slash);
}

std::string_view Basename(std::string_view path) {
  size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

size_t Depth(std::string_view path) {
  if (path.empty()) return 0;
  size_t n = 1;
  for (char c : path) n += c == '/';
  return n;
}

int FsyncDir(int root_fd, std::string_view dir) {
  int fd = OpenDir(root_fd, dir);
  if (fd < 0) return errno;
  int err = fsync(fd) == 0 ? 0 : errno;
  close(fd);
  return err;
}

int MkdirAll(int root_fd, std::string_view dir, size_t existing_depth, bool durable) {
  if (dir.empty()) return 0;
  std::string d(dir);
  if (Depth(dir) <= existing_depth) {
    struct stat st {};
    if (fstatat(root_fd, d.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return errno;
    return S_ISDIR(st.st_mode) ? 0 : ENOTDIR;
  }
  auto made = [&] { return durable ? FsyncDir(root_fd, Dirname(dir)) : 0; };
  if (mkdirat(root_fd, d.c_str(), kDirMode) == 0) return made();
  if (errno == EEXIST) return 0;
  if (errno != ENOENT) return errno;
  if (int err = MkdirAll(root_fd, Dirname(dir), existing_depth, durable); err != 0) return err;
  if (mkdirat(root_fd, d.c_str(), kDirMode) != 0 && errno != EEXIST) return errno;
  return made();
}

int RemoveTree(int root_fd, std::string_view path) {
  std::string p(path);
  if (unlinkat(root_fd, p.c_str(), 0) == 0) return 0;
  if (errno != EISDIR && errno != EPERM) return errno;
  int dfd = openat(root_fd, p.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
  if (dfd < 0) return errno;
  if (int err = EmptyDir(dfd); err != 0) return err;
  if (unlinkat(root_fd, p.c_str(), AT_REMOVEDIR) != 0) return errno;
  return 0;
}

int EmptyTree(int root_fd, std::string_view dir) {
  std::string d(dir);
  int dfd = openat(root_fd, d.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
  if (dfd < 0) return errno == ELOOP ? ENOTDIR : errno;
  return EmptyDir(dfd);
}

void PruneEmptyDirs(int root_fd, std::string_view dir, size_t keep_depth) {
  while (Depth(dir) > keep_depth) {
    std::string d(dir);
    if (unlinkat(root_fd, d.c_str(), AT_REMOVEDIR) != 0) return;
    dir = Dirname(dir);
  }
}

int WriteFull(int fd, std::span<const uint8_t> data) {
  while (!data.empty()) {
    ssize_t n = write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    data = data.subspan(static_cast<size_t>(n));
  }
  return 0;
}

int WriteFullAt(int fd, std::span<const uint8_t> data, uint64_t offset) {
  while (!data.empty()) {
    ssize_t n = pwrite(fd, data.data(), data.size(), static_cast<off_t>(offset));
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    if (n == 0) return EIO;
    data = data.subspan(static_cast<size_t>(n));
    offset += static_cast<uint64_t>(n);
  }
  return 0;
}

int WriteFullAtV(int fd, struct iovec* iov, int count, uint64_t offset) {
  while (count > 0) {
    ssize_t n = pwritev(fd, iov, count, static_cast<off_t>(offset));
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    if (n == 0) return EIO;
    offset += static_cast<uint64_t>(n);
    while (count > 0 && static_cast<size_t>(n) >= iov->iov_len) {  // parts written whole
      n -= static_cast<ssize_t>(iov->iov_len);
      ++iov;
      --count;
    }
    if (count > 0) {  // the part written partly
      iov->iov_base = static_cast<char*>(iov->iov_base) + n;
      iov->iov_len -= static_cast<size_t>(n);
    }
  }
  return 0;
}

int64_t PreadFull(int fd, std::span<uint8_t> out, uint64_t offset) {
  size_t done = 0;
  while (done < out.size()) {
    ssize_t n = pread(fd, out.data() + done, out.size() - done, static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return -errno;
    }
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  return static_cast<int64_t>(done);
}

int OpenCachedReadOnly(int root_fd, const char* rel) {
  static std::atomic<bool> unsupported{false};
  if (unsupported.load(std::memory_order_relaxed)) return -EAGAIN;
  open_how how{};
  how.flags = O_RDONLY | O_CLOEXEC | O_NOFOLLOW;
  how.resolve = RESOLVE_CACHED;
  while (true) {
    const long fd = syscall(SYS_openat2, root_fd, rel, &how, sizeof(how));
    if (fd >= 0) return static_cast<int>(fd);
    if (errno == EINTR) continue;
    // Kernels before 5.12 (no RESOLVE_CACHED) say EINVAL, before 5.6 (no openat2) ENOSYS.
    if (errno == ENOSYS || errno == EINVAL) unsupported.store(true, std::memory_order_relaxed);
    return errno == ENOSYS || errno == EINVAL ? -EAGAIN : -errno;
  }
}

int64_t PreadFullCached(int fd, std::span<uint8_t> out, uint64_t offset) {
  size_t done = 0;
  while (done < out.size()) {
    iovec iov{out.data() + done, out.size() - done};
    ssize_t n = preadv2(fd, &iov, 1, static_cast<off_t>(offset + done), RWF_NOWAIT);
    if (n < 0) {
      if (errno == EINTR) continue;
      // EOPNOTSUPP: this file system cannot promise RWF_NOWAIT; a would-block either way.
      return errno == EOPNOTSUPP ? -EAGAIN : -errno;
    }
    if (n == 0) break;  // end of file (a partly cached range reads short, then EAGAIN)
    done += static_cast<size_t>(n);
  }
  return static_cast<int64_t>(done);
}

int64_t PreadOnce(int fd, std::span<uint8_t> out, uint64_t offset, bool cached) {
  while (true) {
    iovec iov{out.data(), out.size()};
    const ssize_t n = preadv2(fd, &iov, 1, static_cast<off_t>(offset), cached ? RWF_NOWAIT : 0);
    if (n >= 0) return n;
    if (errno == EINTR) continue;
    return cached && errno == EOPNOTSUPP ? -EAGAIN : -errno;
  }
}

}  // namespace flashstor::storage::fs
