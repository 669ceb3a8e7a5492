// LocalDisk: drive identity, error mapping, volumes and namespace operations (rename, delete,
// stat, list). File contents live in local_disk_files.cc, the walk in local_disk_walk.cc.
#include "flashstor/storage/local_disk.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>

#include "flashstor/storage/key_path.h"
#include "fs_util.h"
#include "meta_journal.h"
#include "shard_file_writer.h"

namespace flashstor::storage {
namespace {

bool IsValidFileName(std::string_view file) {
  if (file.empty()) return true;
  if (file.front() == '/' || file.back() == '/' || file.find('\0') != std::string_view::npos) {
    return false;
  }
  size_t start = 0;
  while (start <= file.size()) {
    size_t slash = file.find('/', start);
    if (slash == std::string_view::npos) slash = file.size();
    std::string_view c = file.substr(start, slash - start);
    if (c.empty() || c == "." || c == ".." || c.size() > kMaxComponentBytes) return false;
    start = slash + 1;
  }
  return true;
}

// Top-level directories of kSysVolume survive pruning; bucket directories too.
size_t KeepDepth(std::string_view volume) {
  return volume == kSysVolume ? 2 : 1;
}

// The trash's cutoff for what was there before the drive was opened. A move's stamp comes
// from the kernel's coarse clock (a file's timestamps advance once a tick), which lags
// CLOCK_REALTIME by up to a tick: the cutoff is the coarse time less a margin of several
// ticks, so nothing moved after the open counts as older (what was moved in the margin just
// before it waits for its grace).
int64_t OpenedNs() {
  constexpr int64_t kMarginNs = 20'000'000;
  timespec ts{};
  clock_gettime(CLOCK_REALTIME_COARSE, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec - kMarginNs;
}

}  // namespace

bool IsValidVolumeName(std::string_view volume) {
  return !volume.empty() && volume.size() <= kMaxComponentBytes && volume != "." &&
         volume != ".." && volume.find('/') == std::string_view::npos &&
         volume.find('\0') == std::string_view::npos;
}

LocalDisk::LocalDisk(std::string path, int root_fd, dev_t dev, ino_t ino)
    : path_(std::move(path)),
      root_fd_(root_fd),
      dev_(dev),
      ino_(ino),
      opened_ns_(OpenedNs()),
      meta_cache_(MetaCache::ForDrive(dev, ino, kMetaCacheBytes)),
      stage_slots_(std::make_shared<StageSlots>(kStageSlotsPerDrive)) {}

LocalDisk::~LocalDisk() {
  // A clean stop leaves an empty log, so the next start has nothing to replay.
  if (journal_) (void)journal_->checkpoint();
  journal_.reset();
  close(root_fd_);
}

Result<std::unique_ptr<LocalDisk>> LocalDisk::Open(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    int err = errno;
    if (err == ENOENT || err == ENOTDIR) return Err(Code::kDiskNotFound, "drive not found", err);
    return std::unexpected(StatusFromErrno(err, "cannot open drive"));
  }
  struct stat st {};
  if (fstat(fd, &st) != 0) {
    int err = errno;
    close(fd);
    return std::unexpected(StatusFromErrno(err, "cannot stat drive"));
  }
  std::unique_ptr<LocalDisk> disk(new LocalDisk(path, fd, st.st_dev, st.st_ino));
  // Empty tmp in place: on a normal start it exists, so no directory is created and nothing
  // needs an fsync. Only a missing tmp (first start) or something else at its name is
  // (re)created, with the parent fsynced by MkdirAll.
  std::string tmp = std::string(kSysVolume) + "/" + std::string(kTmpKey);
  int err = fs::EmptyTree(fd, tmp);
  if (err != 0) {
    if (err == ENOTDIR) err = fs::RemoveTree(fd, tmp);
    if (err != 0 && err != ENOENT) {
      return std::unexpected(disk->error(err, "cannot clean tmp", ""));
    }
    if (err = fs::MkdirAll(fd, tmp); err != 0) {
      return std::unexpected(disk->error(err, "cannot create tmp", ""));
    }
  }
  // The trash holds nothing a reader of this process can need yet, but it is not emptied
  // here: after a busy hour it holds every data dir its grace kept, and removing them made a
  // restart wait (12 s after make bench's runs, long enough under load for systemd's start
  // timeout). The collector takes what it held at this open at its next passes (collect_trash).
  if (Status opened = disk->open_journal(); !opened.ok()) return std::unexpected(opened);
  return disk;
}

bool LocalDisk::root_gone() const {
  struct stat st {};
  if (fstat(root_fd_, &st) != 0 || st.st_nlink == 0) return true;
  if (::stat(path_.c_str(), &st) != 0) return true;
  return st.st_dev != dev_ || st.st_ino != ino_;
}

Status LocalDisk::error(int err, std::string_view message, std::string_view volume) const {
  if (root_gone()) return Status(Code::kDiskNotFound, "drive root vanished", err);
  if (err == ENOENT || err == ENOTDIR) {
    if (!volume.empty()) {
      std::string v(volume);
      struct stat st {};
      if (fstatat(root_fd_, v.c_str(), &st, 0) != 0 || !S_ISDIR(st.st_mode)) {
        return Status(Code::kVolumeNotFound, message, err);
      }
    }
    return Status(Code::kFileNotFound, message, err);
  }
  return StatusFromErrno(err, message);
}

Result<std::string> LocalDisk::path_of(std::string_view volume, std::string_view key,
                                       std::string_view file) const {
  if (!IsValidVolumeName(volume)) return Err(Code::kInvalidArgument, "bad volume name");
  if (!IsValidFileName(file)) return Err(Code::kInvalidArgument, "bad internal file name");
  Result<std::string> key_path = KeyToPath(key);
  if (!key_path) return std::unexpected(key_path.error());
  std::string rel(volume);
  if (!key_path->empty()) rel.append("/").append(*key_path);
  if (!file.empty()) rel.append("/").append(file);
  return rel;
}

Result<DiskInfo> LocalDisk::disk_info() {
  struct statvfs vfs {};
  if (fstatvfs(root_fd_, &vfs) != 0 || root_gone()) {
    return Err(Code::kDiskNotFound, "drive root vanished");
  }
  DiskInfo info;
  info.endpoint = path_;
  info.total_bytes = static_cast<uint64_t>(vfs.f_blocks) * vfs.f_frsize;
  info.free_bytes = static_cast<uint64_t>(vfs.f_bavail) * vfs.f_frsize;
  info.total_inodes = vfs.f_files;
  info.free_inodes = vfs.f_favail;
  return info;
}

Status LocalDisk::make_volume(std::string_view volume) {
  if (!IsValidVolumeName(volume)) return Status(Code::kInvalidArgument, "bad volume name");
  std::string v(volume);
  if (mkdirat(root_fd_, v.c_str(), 0750) != 0) {
    if (errno == EEXIST) return Status(Code::kVolumeExists, "volume exists");
    return error(errno, "cannot create volume", "");
  }
  if (int err = fs::FsyncDir(root_fd_, ""); err != 0) return error(err, "fsync root", "");
  return Status::Ok();
}

Result<std::vector<VolumeInfo>> LocalDisk::list_volumes() {
  int dfd = openat(root_fd_, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) return std::unexpected(error(errno, "cannot list volumes", ""));
  DIR* d = fdopendir(dfd);
  if (d == nullptr) {
    close(dfd);
    return std::unexpected(error(errno, "cannot list volumes", ""));
  }
  std::vector<VolumeInfo> out;
  while (dirent* e = readdir(d)) {
    std::string_view name = e->d_name;
    if (name == "." || name == "..") continue;
    struct stat st {};
    if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISDIR(st.st_mode)) {
      continue;
    }
    out.push_back({std::string(name), fs::CtimeNs(st)});
  }
  closedir(d);
  if (root_gone()) return Err(Code::kDiskNotFound, "drive root vanished");
  return out;
}

Result<VolumeInfo> LocalDisk::stat_volume(std::string_view volume) {
  if (!IsValidVolumeName(volume)) return Err(Code::kInvalidArgument, "bad volume name");
  std::string v(volume);
  struct stat st {};
  if (fstatat(root_fd_, v.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    Status s = error(errno, "volume not found", "");
    if (s == Code::kFileNotFound) return Err(Code::kVolumeNotFound, "volume not found");
    return std::unexpected(s);
  }
  if (!S_ISDIR(st.st_mode)) return Err(Code::kVolumeNotFound, "volume not a directory");
  return VolumeInfo{v, fs::CtimeNs(st)};
}

Status LocalDisk::delete_volume(std::string_view volume, bool force) {
  if (!IsValidVolumeName(volume)) return Status(Code::kInvalidArgument, "bad volume name");
  std::string v(volume);
  // The log may hold changes under this volume: made durable first, so that a replay never
  // brings them back into a volume made again under the same name.
  FS_RETURN_IF_ERROR(journal_->checkpoint());
  ChangeNotice notice(*meta_cache_, v);
  int err = 0;
  if (force) {
    err = fs::RemoveTree(root_fd_, v);
  } else if (unlinkat(root_fd_, v.c_str(), AT_REMOVEDIR) != 0) {
    err = errno;
  }
  if (err == ENOTEMPTY || err == EEXIST) return Status(Code::kVolumeNotEmpty, "volume not empty");
  if (err == ENOENT) {
    Status s = error(err, "volume not found", "");
    return s == Code::kFileNotFound ? Status(Code::kVolumeNotFound, "volume not found") : s;
  }
  if (err != 0) return error(err, "cannot delete volume", "");
  fs::FsyncDir(root_fd_, "");
  return Status::Ok();
}

Status LocalDisk::rename(std::string_view src_volume, std::string_view src_key,
                         std::string_view src_file, std::string_view dst_volume,
                         std::string_view dst_key, std::string_view dst_file) {
  Result<std::string> src = path_of(src_volume, src_key, src_file);
  if (!src) return src.error();
  Result<std::string> dst = path_of(dst_volume, dst_key, dst_file);
  if (!dst) return dst.error();
  ChangeNotice src_notice(*meta_cache_, *src), dst_notice(*meta_cache_, *dst);
  FS_RETURN_IF_ERROR(move_entry(*src, *dst, src_volume, dst_volume));
  int err = 0;
  if (err = fs::FsyncDir(root_fd_, fs::Dirname(*dst)); err != 0) {
    return error(err, "fsync failed", dst_volume);
  }
  if (fs::Dirname(*src) != fs::Dirname(*dst) && !IsTemporary(src_volume, src_key)) {
    // The source entry's removal only needs to be durable for cleanliness, not correctness
    // (and under tmp/ not even that: it is emptied at the next start).
    fs::FsyncDir(root_fd_, fs::Dirname(*src));
  }
  return Status::Ok();
}

Status LocalDisk::move_entry(const std::string& src, const std::string& dst,
                             std::string_view src_volume, std::string_view dst_volume) {
  int err = 0;
  // The rename first (dst's parent usually exists). ENOENT with the source there: the parent
  // is missing, or a concurrent delete pruned it: (re)create it and retry a few times.
  for (int attempt = 0; attempt < 4; ++attempt) {
    err = renameat(root_fd_, src.c_str(), root_fd_, dst.c_str()) == 0 ? 0 : errno;
    if (err != ENOENT || attempt == 3 || faccessat(root_fd_, src.c_str(), F_OK, 0) != 0) break;
    if (int made = fs::MkdirAll(root_fd_, fs::Dirname(dst), fs::kVolumeDepth); made != 0) {
      return error(made, "cannot create target directory", dst_volume);
    }
  }
  if (err == ENOTEMPTY || err == EEXIST) return Status(Code::kVolumeNotEmpty, "target exists");
  if (err != 0) return error(err, "rename failed", src_volume);
  return Status::Ok();
}

Status LocalDisk::install_version(const VersionCommit& c, std::string_view meta) {
  // The data dir's rename is made durable by an fsync of the key's directory before the
  // metadata naming it goes to the journal (docs/design.md, "Every fsync of a PUT").
  Result<std::string> meta_rel = path_of(c.volume, c.key, kMetaFile);
  if (!meta_rel) return meta_rel.error();
  ChangeNotice notice(*meta_cache_, *meta_rel);  // the data dir holds no metadata file
  std::string src, dst;
  if (!c.src_dir.empty()) {
    Result<std::string> s = path_of(c.src_volume, c.src_key, c.src_dir);
    if (!s) return s.error();
    Result<std::string> d = path_of(c.volume, c.key, std::string(kDataDirPrefix) + c.data_dir);
    if (!d) return d.error();
    src = std::move(*s);
    dst = std::move(*d);
    FS_RETURN_IF_ERROR(move_entry(src, dst, c.src_volume, c.volume));
  }
  Status wrote = Status::Ok();
  if (!dst.empty()) {
    if (int err = fs::FsyncDir(root_fd_, fs::Dirname(*meta_rel)); err != 0) {
      wrote = error(err, "fsync failed", c.volume);
    }
  }
  if (wrote.ok()) wrote = write_meta(*meta_rel, meta, c.volume);
  if (!wrote.ok() && !dst.empty()) (void)move_entry(dst, src, c.volume, c.src_volume);
  return wrote;
}

Status LocalDisk::link_files(std::string_view src_volume, std::string_view src_key,
                             std::string_view src_dir, std::string_view dst_volume,
                             std::string_view dst_key, std::string_view dst_dir,
                             std::span<const std::string> names) {
  Result<std::string> src = path_of(src_volume, src_key, src_dir);
  if (!src) return src.error();
  Result<std::string> dst = path_of(dst_volume, dst_key, dst_dir);
  if (!dst) return dst.error();
  ChangeNotice notice(*meta_cache_, *dst);
  if (int err = fs::MkdirAll(root_fd_, *dst, fs::kVolumeDepth); err != 0)
    return error(err, "mkdir failed", dst_volume);
  for (const std::string& name : names) {
    if (name.empty() || name.find('/') != std::string::npos || name == "." || name == "..") {
      return Status(Code::kInvalidArgument, "bad file name");
    }
    std::string from = *src + "/" + name, to = *dst + "/" + name;
    if (linkat(root_fd_, from.c_str(), root_fd_, to.c_str(), 0) != 0) {
      return error(errno, "link failed", src_volume);
    }
  }
  if (int err = fs::FsyncDir(root_fd_, *dst); err != 0)
    return error(err, "fsync failed", dst_volume);
  return Status::Ok();
}

Status LocalDisk::delete_path(std::string_view volume, std::string_view key, std::string_view file,
                              bool recursive) {
  Result<std::string> rel = path_of(volume, key, file);
  if (!rel) return rel.error();
  if (fs::Depth(*rel) <= KeepDepth(volume)) {
    return Status(Code::kInvalidArgument, "refusing to delete a volume or system directory");
  }
  if (!recursive && Journaled(volume, file)) return remove_meta(*rel, volume);
  ChangeNotice notice(*meta_cache_, *rel);
  int err = 0;
  if (recursive) {
    err = fs::RemoveTree(root_fd_, *rel);
  } else if (unlinkat(root_fd_, rel->c_str(), 0) != 0) {
    err = errno;
    if ((err == EISDIR || err == EPERM) && unlinkat(root_fd_, rel->c_str(), AT_REMOVEDIR) == 0) {
      err = 0;
    } else if (err == EISDIR || err == EPERM) {
      err = errno;
    }
  }
  if (err == ENOTEMPTY || err == EEXIST) return Status(Code::kVolumeNotEmpty, "dir not empty");
  if (err != 0) return error(err, "delete failed", volume);
  std::string_view parent = fs::Dirname(*rel);
  if (!IsTemporary(volume, key)) {
    if (int e = fs::FsyncDir(root_fd_, parent); e != 0 && e != ENOENT) {
      return error(e, "fsync failed", volume);
    }
  }
  fs::PruneEmptyDirs(root_fd_, parent, KeepDepth(volume));
  return Status::Ok();
}

Result<FileStat> LocalDisk::stat(std::string_view volume, std::string_view key,
                                 std::string_view file) {
  Result<std::string> rel = path_of(volume, key, file);
  if (!rel) return std::unexpected(rel.error());
  struct stat st {};
  if (fstatat(root_fd_, rel->c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    return std::unexpected(error(errno, "stat failed", volume));
  }
  return FileStat{static_cast<uint64_t>(st.st_size), fs::MtimeNs(st), S_ISDIR(st.st_mode)};
}

Result<std::vector<std::string>> LocalDisk::list_dir(std::string_view volume, std::string_view key,
                                                     std::string_view file, size_t limit) {
  Result<std::string> rel = path_of(volume, key, file);
  if (!rel) return std::unexpected(rel.error());
  int dfd = openat(root_fd_, rel->c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) return std::unexpected(error(errno, "list failed", volume));
  DIR* d = fdopendir(dfd);
  if (d == nullptr) {
    int err = errno;
    close(dfd);
    return std::unexpected(error(err, "list failed", volume));
  }
  std::vector<std::string> out;
  while (out.size() < limit) {
    dirent* e = readdir(d);
    if (e == nullptr) break;
    std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    bool is_dir = e->d_type == DT_DIR;
    if (e->d_type == DT_UNKNOWN) {
      struct stat st {};
      is_dir = fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
    }
    if (is_dir) name.push_back('/');
    out.push_back(std::move(name));
  }
  closedir(d);
  return out;
}

}  // namespace flashstor::storage
