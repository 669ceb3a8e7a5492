// LocalDisk's sorted streaming walk: a stack of directory listings, each sorted by decoded
// name with a directory entered twice (object "x" and prefix "x/"), so keys come out in
// UTF-8 byte order without ever holding more than one listing per depth level.
//
// What a key costs (docs/design.md, "Listing"): its metadata is opened relative to the open
// fd of the directory being listed (no path resolution from the drive root), and its
// directory is listed for child keys only when it may have subdirectories: a stat whose
// st_nlink is 2 proves it has none (child keys are directories) on a file system that counts
// them (checked on the walk's base directory), so a key without data dirs (inline data,
// delete markers) costs an openat, a read, a close and a stat.
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <memory>
#include <vector>

#include "flashstor/storage/key_path.h"
#include "flashstor/storage/local_disk.h"

namespace flashstor::storage {
namespace {

// Directories of the walk's stack that keep their fd open; deeper frames' parents are
// closed and reopened from the drive root when the walk returns to them.
constexpr size_t kHeldDirFds = 16;

struct Item {
  std::string sort_key;  // decoded component, plus '/' for the prefix item (as in its key)
  std::string disk_name;
  bool is_prefix;
};

class DirFd {
 public:
  DirFd() = default;
  explicit DirFd(int fd) : fd_(fd) {}
  DirFd(DirFd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  DirFd& operator=(DirFd&& o) noexcept {
    if (this != &o) {
      reset();
      fd_ = std::exchange(o.fd_, -1);
    }
    return *this;
  }
  ~DirFd() { reset(); }
  int get() const { return fd_; }
  void reset() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

struct Frame {
  std::string key_prefix;  // decoded key of the directory, "" or ending with '/'
  std::string rel_dir;     // on-disk path relative to the drive root
  DirFd fd;                // the directory, open (or closed: reopened from rel_dir)
  std::vector<Item> items;
  size_t pos = 0;
};

// Calls each(name, d_type) for every entry of the open directory fd; stops when each returns
// false. Reads with getdents64 into one buffer (no DIR, no fstat per directory).
template <typename Each>
int ForEachEntry(int fd, Each each) {
  constexpr size_t kBufBytes = 32 * 1024;
  auto buf = std::make_unique<char[]>(kBufBytes);
  while (true) {
    ssize_t n = getdents64(fd, buf.get(), kBufBytes);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno;
    if (n == 0) return 0;
    for (ssize_t off = 0; off < n;) {
      auto* e = reinterpret_cast<dirent64*>(buf.get() + off);
      off += e->d_reclen;
      if (!each(std::string_view(e->d_name), e->d_type)) return 0;
    }
  }
}

class LocalWalker final : public Walker {
 public:
  LocalWalker(LocalDisk& disk, std::string volume, WalkOptions options)
      : disk_(disk), volume_(std::move(volume)), opt_(std::move(options)) {}

  // Positions at the directory holding the prefix's last component.
  Status start() {
    size_t slash = opt_.prefix.rfind('/');
    std::string base_key = slash == std::string::npos ? "" : opt_.prefix.substr(0, slash + 1);
    name_filter_ = opt_.prefix.substr(base_key.size());
    std::string rel = volume_;
    if (!base_key.empty()) {
      // base_key minus its '/'; "" here is the key's one empty component, not the volume.
      std::string_view dir_key = std::string_view(base_key).substr(0, base_key.size() - 1);
      Result<std::string> p = dir_key.empty() ? EncodeComponent("") : KeyToPath(dir_key);
      if (!p) return Status::Ok();  // no key can live there: empty walk
      rel.append("/").append(*p);
    }
    DirFd fd(openat(disk_.root_fd(), rel.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (fd.get() < 0) {
      Status s = disk_.error(errno, "walk open failed", volume_);
      return s == Code::kFileNotFound ? Status::Ok() : s;
    }
    size_t subdirs = 0;
    struct stat st;
    const int dir = fd.get();
    FS_RETURN_IF_ERROR(push(base_key, rel, std::move(fd), true, &subdirs));
    // Evidence that this file system counts subdirectories in a directory's links: the base
    // directory's count matches what its listing showed (ext4, xfs, tmpfs). Without it
    // (no subdirectory seen, btrfs's 1, a file system that says 2 regardless) every key's
    // directory is listed for child keys.
    if (subdirs > 0 && !stack_.empty() && fstat(dir, &st) == 0) {
      links_count_subdirs_ = st.st_nlink == 2 + subdirs;
    }
    return Status::Ok();
  }

  Result<bool> next(WalkEntry& entry) override {
    while (!stack_.empty()) {
      Frame& f = stack_.back();
      if (f.pos == f.items.size()) {
        stack_.pop_back();
        continue;
      }
      Result<int> dir = dir_fd(f);
      if (!dir) return std::unexpected(dir.error());
      if (*dir < 0) {  // the directory went away meanwhile: nothing left in it
        stack_.pop_back();
        continue;
      }
      Item& item = f.items[f.pos++];
      if (!item.is_prefix) {
        Result<bool> found = load_object(*dir, f.rel_dir, item.disk_name, entry);
        if (!found) return std::unexpected(found.error());
        if (!*found) continue;
        entry.key = f.key_prefix + item.sort_key;
        entry.is_prefix = false;
        return true;
      }
      Result<bool> subdirs = may_have_subdirs(*dir, item.disk_name);
      if (!subdirs) return std::unexpected(subdirs.error());
      if (!*subdirs) continue;  // no child keys (each is a directory)
      if (opt_.recursive) {
        DirFd child(openat(*dir, item.disk_name.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        if (child.get() < 0) {
          Status s = disk_.error(errno, "walk open failed", volume_);
          if (s == Code::kFileNotFound) continue;
          return std::unexpected(s);
        }
        std::string key = f.key_prefix + item.sort_key;
        std::string rel = f.rel_dir + "/" + item.disk_name;
        Status s = push(std::move(key), std::move(rel), std::move(child), false);
        if (!s.ok()) return std::unexpected(s);
        continue;
      }
      Result<bool> has_children = has_child(*dir, item.disk_name);
      if (!has_children) return std::unexpected(has_children.error());
      if (!*has_children) continue;
      entry.key = f.key_prefix + item.sort_key;
      entry.is_prefix = true;
      entry.metadata.clear();
      return true;
    }
    return false;
  }

 private:
  bool wanted(const std::string& key, bool is_prefix) const {
    const std::string& after = opt_.start_after;
    if (after.empty() || key > after) return true;
    // A prefix below the marker still holds wanted keys when the marker lies inside it.
    return is_prefix && opt_.recursive && after.starts_with(key);
  }

  // The frame's directory fd, reopened from the drive root if it was closed; -1 when the
  // directory no longer exists.
  Result<int> dir_fd(Frame& f) {
    if (f.fd.get() >= 0) return f.fd.get();
    f.fd = DirFd(openat(disk_.root_fd(), f.rel_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (f.fd.get() >= 0) return f.fd.get();
    Status s = disk_.error(errno, "walk open failed", volume_);
    if (s == Code::kFileNotFound) return -1;
    return std::unexpected(s);
  }

  // subdirs (optional): counts the directory's entries of type DT_DIR, every one.
  Status push(std::string key_prefix, std::string rel_dir, DirFd fd, bool base,
              size_t* subdirs = nullptr) {
    Frame f;
    int err = ForEachEntry(fd.get(), [&](std::string_view name, unsigned char type) {
      if (name == "." || name == "..") return true;
      if (subdirs != nullptr) *subdirs += type == DT_DIR;
      if (IsInternalName(name)) return true;
      if (type != DT_DIR && type != DT_UNKNOWN) return true;
      std::optional<std::string> c = DecodeComponent(name);
      if (!c || (base && !c->starts_with(name_filter_))) return true;
      if (wanted(key_prefix + *c, false)) f.items.push_back({*c, std::string(name), false});
      if (wanted(key_prefix + *c + "/", true)) {
        f.items.push_back({*c + "/", std::string(name), true});
      }
      return true;
    });
    if (err != 0) return disk_.error(err, "walk list failed", volume_);
    if (f.items.empty()) return Status::Ok();
    std::sort(f.items.begin(), f.items.end(),
              [](const Item& a, const Item& b) { return a.sort_key < b.sort_key; });
    f.key_prefix = std::move(key_prefix);
    f.rel_dir = std::move(rel_dir);
    f.fd = std::move(fd);
    // Bounds the fds a deep walk holds: the frame kHeldDirFds levels up is reopened later.
    if (stack_.size() >= kHeldDirFds) stack_[stack_.size() - kHeldDirFds].fd.reset();
    stack_.push_back(std::move(f));
    return Status::Ok();
  }

  // Whether the directory `name` (in dir) may have subdirectories: false when it is not a
  // directory, or its link count (2 + subdirectories on ext4, xfs, tmpfs) says none where
  // start() found evidence that this file system counts them.
  Result<bool> may_have_subdirs(int dir, const std::string& name) {
    if (!links_count_subdirs_) return true;
    struct stat st;
    if (fstatat(dir, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      Status s = disk_.error(errno, "walk stat failed", volume_);
      if (s == Code::kFileNotFound) return false;
      return std::unexpected(s);
    }
    if (!S_ISDIR(st.st_mode)) return false;
    return st.st_nlink != 2;
  }

  // Reads the object's metadata (the preamble and records of %m.bin, else the header of a
  // legacy %m.json); false when the directory holds no object. dir is rel_dir's fd.
  Result<bool> load_object(int dir, const std::string& rel_dir, const std::string& name,
                           WalkEntry& entry) {
    for (std::string_view file : {kMetaFile, kLegacyMetaFile}) {
      const std::string path = name + "/" + std::string(file);
      Status s;
      if (!opt_.read_metadata) {
        if (faccessat(dir, path.c_str(), F_OK, 0) == 0) {
          entry.metadata.clear();
          return true;
        }
        s = disk_.error(errno, "walk stat failed", volume_);
      } else {
        Result<std::string> records = file == kLegacyMetaFile
                                          ? read_records(dir, path, true)
                                          : read_current_records(dir, rel_dir + "/" + path, path);
        if (records) {
          entry.metadata = std::move(*records);
          return true;
        }
        s = records.error();
      }
      if (s != Code::kFileNotFound) return std::unexpected(s);
    }
    return uncommitted(dir, name, entry);
  }

  Result<std::string> read_records(int dir, const std::string& rel, bool legacy);
  // read_records of a %m.bin (rel below dir, drive_rel below the drive root), read again
  // while a write of it in place overlaps the read (MetaWriteSeq).
  Result<std::string> read_current_records(int dir, const std::string& drive_rel,
                                           const std::string& rel) {
    return disk_.meta_cache().write_seq().read_whole(drive_rel, false,
                                                     [&] { return read_records(dir, rel, false); });
  }

  // A directory without metadata: an entry with empty metadata when asked for keys whose
  // directory holds a data dir all the same.
  Result<bool> uncommitted(int dir, const std::string& name, WalkEntry& entry) {
    if (!opt_.include_uncommitted) return false;
    Result<bool> has = any_entry(
        dir, name, [](std::string_view child) { return child.starts_with(kDataDirPrefix); });
    if (!has || !*has) return has;
    entry.metadata.clear();
    return true;
  }

  Result<bool> has_child(int dir, const std::string& name) {
    return any_entry(dir, name, [](std::string_view child) {
      return child != "." && child != ".." && !IsInternalName(child) &&
             DecodeComponent(child).has_value();
    });
  }

  // True when some entry of the directory `name` (in dir) satisfies pred; a missing one has
  // none.
  template <typename Pred>
  Result<bool> any_entry(int dir, const std::string& name, Pred pred) {
    DirFd fd(openat(dir, name.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (fd.get() < 0) {
      Status s = disk_.error(errno, "walk open failed", volume_);
      if (s == Code::kFileNotFound) return false;
      return std::unexpected(s);
    }
    bool found = false;
    (void)ForEachEntry(fd.get(), [&](std::string_view child, unsigned char) {
      found = pred(child);
      return !found;
    });
    return found;
  }

  LocalDisk& disk_;
  std::string volume_;
  WalkOptions opt_;
  std::string name_filter_;
  std::vector<Frame> stack_;
  bool links_count_subdirs_ = false;  // see start()
};

// %m.bin: the preamble, then as many bytes as the length it holds says (never the inline
// data beyond, but for what the first read brought along). A legacy %m.json: up to its NUL.
Result<std::string> LocalWalker::read_records(int dir, const std::string& rel, bool legacy) {
  int fd = openat(dir, rel.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return std::unexpected(disk_.error(errno, "walk read failed", volume_));
  std::string out;
  size_t want = legacy ? kMaxReadAllBytes : kMetaPreambleSize;
  bool sized = legacy;
  char buf[4096];
  while (out.size() < want) {
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      close(fd);
      return std::unexpected(disk_.error(err, "walk read failed", volume_));
    }
    if (n == 0) break;
    std::string_view chunk(buf, static_cast<size_t>(n));
    if (legacy) {
      size_t nul = chunk.find('\0');
      out.append(chunk.substr(0, nul));
      if (nul != std::string_view::npos) break;
      continue;
    }
    // Only the preamble and the records are kept, in a string of their size: the rest of
    // the chunk (an inline object's data) is not copied, so a walk's batch of entries holds
    // a few hundred bytes an entry, not the 4 KiB read.
    if (!sized) {
      const size_t head = std::min(chunk.size(), kMetaPreambleSize - out.size());
      out.append(chunk.substr(0, head));
      chunk.remove_prefix(head);
      if (out.size() < kMetaPreambleSize) continue;
      sized = true;
      uint32_t len = 0;  // little-endian
      for (size_t i = 0; i < 4; ++i) {
        len |= static_cast<uint32_t>(static_cast<uint8_t>(out[kMetaRecordsLenOffset + i]))
               << (8 * i);
      }
      // Not reserved: the length is the file's word, and a damaged one may claim 32 MiB.
      want = std::min<size_t>(kMetaPreambleSize + len, kMaxReadAllBytes);
    }
    out.append(chunk.substr(0, want - out.size()));
  }
  close(fd);
  if (out.size() > want) out.resize(want);
  return out;
}

}  // namespace

Result<std::unique_ptr<Walker>> LocalDisk::walk(std::string_view volume,
                                                const WalkOptions& options) {
  Result<VolumeInfo> vol = stat_volume(volume);
  if (!vol) return std::unexpected(vol.error());
  auto walker = std::make_unique<LocalWalker>(*this, std::string(volume), options);
  if (Status s = walker->start(); !s.ok()) return std::unexpected(s);
  return std::unique_ptr<Walker>(std::move(walker));
}

}  // namespace flashstor::storage
