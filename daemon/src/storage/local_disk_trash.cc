// LocalDisk's trash: replaced data dirs moved aside in one rename, found again by open_file
// while a GET that resolved them reads on, and removed once their grace has passed (or, for
// what the trash held when the drive was opened, at the collector's next pass).
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "flashstor/storage/key_path.h"
#include "flashstor/storage/local_disk.h"
#include "fs_util.h"

namespace flashstor::storage {
namespace {

std::string TrashDir() {
  return std::string(kSysVolume) + "/" + std::string(kTrashKey);
}

bool IsValidDataDir(std::string_view data_dir) {
  return !data_dir.empty() && data_dir.size() <= kMaxComponentBytes - kDataDirPrefix.size() &&
         data_dir != "." && data_dir != ".." && data_dir.find('/') == std::string_view::npos &&
         data_dir.find('\0') == std::string_view::npos;
}

}  // namespace

std::optional<std::string> TrashPathOf(std::string_view volume, std::string_view file) {
  // "%d.<uuid>/<name>" of a bucket's key -> "<sys>/trash/<uuid>/<name>".
  if (volume == kSysVolume || !file.starts_with(kDataDirPrefix)) return std::nullopt;
  size_t slash = file.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  std::string_view uuid = file.substr(kDataDirPrefix.size(), slash - kDataDirPrefix.size());
  if (!IsValidDataDir(uuid)) return std::nullopt;
  return TrashDir() + "/" + std::string(uuid) + std::string(file.substr(slash));
}

Status LocalDisk::trash_data_dir(std::string_view volume, std::string_view key,
                                 std::string_view data_dir) {
  if (volume == kSysVolume || !IsValidDataDir(data_dir)) {
    return Status(Code::kInvalidArgument, "bad data dir");
  }
  Result<std::string> rel =
      path_of(volume, key, std::string(kDataDirPrefix) + std::string(data_dir));
  if (!rel) return rel.error();
  // The move's time is the entry's age: stamp it first, so the rename is the one step that
  // takes the dir out of the key (a crash in between leaves a fresh orphan heal removes).
  if (utimensat(root_fd_, rel->c_str(), nullptr, AT_SYMLINK_NOFOLLOW) != 0) {
    return error(errno, "cannot stamp data dir", volume);
  }
  const std::string dst = TrashDir() + "/" + std::string(data_dir);
  int err = 0;
  for (int attempt = 0; attempt < 3; ++attempt) {
    err = renameat(root_fd_, rel->c_str(), root_fd_, dst.c_str()) == 0 ? 0 : errno;
    if (err == ENOENT && faccessat(root_fd_, rel->c_str(), F_OK, AT_SYMLINK_NOFOLLOW) == 0) {
      err = fs::MkdirAll(root_fd_, TrashDir());  // the trash itself is missing
      if (err == 0) continue;
    } else if (err == ENOTEMPTY || err == EEXIST) {
      // The same data dir trashed before (a heal re-created it since): the newer copy wins.
      err = fs::RemoveTree(root_fd_, dst);
      if (err == 0 || err == ENOENT) continue;
    }
    break;
  }
  if (err != 0) return error(err, "cannot move data dir to trash", volume);
  fs::PruneEmptyDirs(root_fd_, fs::Dirname(*rel), fs::kVolumeDepth);
  return Status::Ok();
}

Result<size_t> LocalDisk::collect_trash(int64_t older_than_ns, size_t max_entries) {
  // What an earlier process (or connection) left is no GET's of this one: expired.
  older_than_ns = std::max(older_than_ns, opened_ns_);
  const std::string trash = TrashDir();
  int dfd = openat(root_fd_, trash.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) {
    if (errno == ENOENT && !root_gone()) return size_t{0};
    return std::unexpected(error(errno, "cannot open trash", ""));
  }
  DIR* d = fdopendir(dfd);
  if (d == nullptr) {
    int err = errno;
    close(dfd);
    return std::unexpected(error(err, "cannot open trash", ""));
  }
  // Bounded work per call: entries looked at and entries removed. readdir's order is stable,
  // so the entries looked at first age out and make room for the next ones.
  const size_t max_looked_at = max_entries * 16;
  size_t looked_at = 0, removed = 0;
  while (removed < max_entries && looked_at < max_looked_at) {
    dirent* e = readdir(d);
    if (e == nullptr) break;
    std::string_view name = e->d_name;
    if (name == "." || name == "..") continue;
    ++looked_at;
    struct stat st {};
    if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
    if (fs::MtimeNs(st) >= older_than_ns) continue;
    if (fs::RemoveTree(root_fd_, trash + "/" + std::string(name)) == 0) ++removed;
  }
  closedir(d);
  return removed;
}

}  // namespace flashstor::storage
