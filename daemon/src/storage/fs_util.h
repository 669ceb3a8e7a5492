// Small POSIX helpers for LocalDisk, all relative to a directory fd (the drive root) so a
// replaced mount point is never followed. Return 0 or a positive errno.
#pragma once

#include <sys/stat.h>
#include <sys/uio.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace flashstor::storage::fs {

// A stat's modification and change times in nanoseconds since the epoch.
inline int64_t MtimeNs(const struct stat& st) {
  return static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
}
inline int64_t CtimeNs(const struct stat& st) {
  return static_cast<int64_t>(st.st_ctim.tv_sec) * 1'000'000'000 + st.st_ctim.tv_nsec;
}

// Parent of a relative path ("a/b/c" -> "a/b", "a" -> "").
std::string_view Dirname(std::string_view path);
// Last component ("a/b/c" -> "c").
std::string_view Basename(std::string_view path);

// fsync of directory dir ("" = the root itself).
int FsyncDir(int root_fd, std::string_view dir);
// mkdir -p of dir below root; each newly created directory is fsynced into its parent. The
// first existing_depth components must exist already (ENOENT if not) and are never created:
// writes into a volume pass 1, so a deleted bucket's folder is never re-created by a write.
// durable false: no fsync (directories under tmp/, which is emptied at every start).
int MkdirAll(int root_fd, std::string_view dir, size_t existing_depth = 0, bool durable = true);
// Depth of a volume's directory below the drive root ("<volume>/<key path>/<file>").
inline constexpr size_t kVolumeDepth = 1;
// Removes path (file or directory tree) below root. ENOENT when missing.
int RemoveTree(int root_fd, std::string_view path);
// Removes everything inside the directory dir below root and keeps dir itself (no directory
// entry changes above it, so nothing to fsync). ENOENT when missing, ENOTDIR when dir is not
// a directory (a symbolic link included).
int EmptyTree(int root_fd, std::string_view dir);
// Removes the empty directories dir, its parent, ... while more than keep_depth components
// remain; stops quietly at the first non-empty one.
void PruneEmptyDirs(int root_fd, std::string_view dir, size_t keep_depth);
// Number of '/'-separated components.
size_t Depth(std::string_view path);

// A string's bytes, for the writers below.
inline std::span<const uint8_t> Bytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}
// write(2) until done; 0 or errno.
int WriteFull(int fd, std::span<const uint8_t> data);
// pwrite(2) at offset until done; 0 or errno.
int WriteFullAt(int fd, std::span<const uint8_t> data, uint64_t offset);
// pwritev(2) of iov[0..count) at offset until all is written; 0 or errno. iov is consumed.
int WriteFullAtV(int fd, struct iovec* iov, int count, uint64_t offset);
// pread(2) until out is full or EOF; returns bytes read or -errno.
int64_t PreadFull(int fd, std::span<uint8_t> out, uint64_t offset);

// Non-blocking variants for a caller on an event loop (they never wait on the device):
// openat(2) read-only, O_NOFOLLOW, resolved from the dentry cache only (openat2 with
// RESOLVE_CACHED); and PreadFull from the page cache only (preadv2 with RWF_NOWAIT). Both
// return -EAGAIN when the answer needs the device, and also where the kernel or the file
// system cannot promise not to block (then they keep saying so, at the cost of one call).
int OpenCachedReadOnly(int root_fd, const char* rel);  // fd or -errno
int64_t PreadFullCached(int fd, std::span<uint8_t> out, uint64_t offset);
// One pread(2) (cached: one preadv2 with RWF_NOWAIT, as PreadFullCached), retried only on
// EINTR: bytes read or -errno. A short read of a regular file ends at its end, except a cached
// read stopped by a page not in the page cache, which ends on a page boundary.
int64_t PreadOnce(int fd, std::span<uint8_t> out, uint64_t offset, bool cached);

}  // namespace flashstor::storage::fs
