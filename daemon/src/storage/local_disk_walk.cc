// LocalDisk's sorted streaming walk: a stack of directory listings, each sorted by decoded
// name with a directory entered twice (object "x" and prefix "x/"), so keys come out in
// UTF-8 byte order without ever holding more than one listing per depth level.
#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <vector>

#include "flashstor/storage/key_path.h"
#include "flashstor/storage/local_disk.h"

namespace flashstor::storage {
namespace {

struct Item {
  std::string sort_key;  // decoded component, plus '/' for the prefix item (as in its key)
  std::string disk_name;
  bool is_prefix;
};

struct Frame {
  std::string key_prefix;  // decoded key of the directory, "" or ending with '/'
  std::string rel_dir;     // on-disk path relative to the drive root
  std::vector<Item> items;
  size_t pos = 0;
};

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
    Status s = push(base_key, rel, true);
    if (s == Code::kFileNotFound) return Status::Ok();
    return s;
  }

  Result<bool> next(WalkEntry& entry) override {
    while (!stack_.empty()) {
      Frame& f = stack_.back();
      if (f.pos == f.items.size()) {
        stack_.pop_back();
        continue;
      }
      Item& item = f.items[f.pos++];
      std::string key = f.key_prefix + item.sort_key;
      std::string child = f.rel_dir + "/" + item.disk_name;
      if (!item.is_prefix) {
        Result<bool> found = load_object(child, entry);
        if (!found) return std::unexpected(found.error());
        if (!*found) continue;
        entry.key = std::move(key);
        entry.is_prefix = false;
        return true;
      }
      if (opt_.recursive) {
        Status s = push(std::move(key), std::move(child), false);
        if (!s.ok() && s != Code::kFileNotFound) return std::unexpected(s);
        continue;
      }
      Result<bool> has_children = has_child(child);
      if (!has_children) return std::unexpected(has_children.error());
      if (!*has_children) continue;
      entry.key = std::move(key);
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

  Status push(std::string key_prefix, std::string rel_dir, bool base) {
    int dfd = openat(disk_.root_fd(), rel_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) return disk_.error(errno, "walk open failed", volume_);
    DIR* d = fdopendir(dfd);
    if (d == nullptr) {
      int err = errno;
      close(dfd);
      return disk_.error(err, "walk list failed", volume_);
    }
    Frame f;
    while (dirent* e = readdir(d)) {
      std::string_view name = e->d_name;
      if (name == "." || name == ".." || IsInternalName(name)) continue;
      if (e->d_type != DT_DIR && e->d_type != DT_UNKNOWN) continue;
      std::optional<std::string> c = DecodeComponent(name);
      if (!c || (base && !c->starts_with(name_filter_))) continue;
      if (wanted(key_prefix + *c, false)) f.items.push_back({*c, std::string(name), false});
      if (wanted(key_prefix + *c + "/", true)) {
        f.items.push_back({*c + "/", std::string(name), true});
      }
    }
    closedir(d);
    std::sort(f.items.begin(), f.items.end(),
              [](const Item& a, const Item& b) { return a.sort_key < b.sort_key; });
    f.key_prefix = std::move(key_prefix);
    f.rel_dir = std::move(rel_dir);
    stack_.push_back(std::move(f));
    return Status::Ok();
  }

  // Reads the object's metadata (the preamble and records of %m.bin, else the header of a
  // legacy %m.json); false when the directory holds no object.
  Result<bool> load_object(const std::string& dir, WalkEntry& entry) {
    for (std::string_view file : {kMetaFile, kLegacyMetaFile}) {
      const std::string path = dir + "/" + std::string(file);
      Status s;
      if (!opt_.read_metadata) {
        if (faccessat(disk_.root_fd(), path.c_str(), F_OK, 0) == 0) {
          entry.metadata.clear();
          return true;
        }
        s = disk_.error(errno, "walk stat failed", volume_);
      } else {
        Result<std::string> records = read_records(path, file == kLegacyMetaFile);
        if (records) {
          entry.metadata = std::move(*records);
          return true;
        }
        s = records.error();
      }
      if (s != Code::kFileNotFound) return std::unexpected(s);
    }
    return uncommitted(dir, entry);
  }

  Result<std::string> read_records(const std::string& rel, bool legacy);

  // A directory without metadata: an entry with empty metadata when asked for keys whose
  // directory holds a data dir all the same.
  Result<bool> uncommitted(const std::string& dir, WalkEntry& entry) {
    if (!opt_.include_uncommitted) return false;
    Result<bool> has = has_data_dir(dir);
    if (!has || !*has) return has;
    entry.metadata.clear();
    return true;
  }

  Result<bool> has_data_dir(const std::string& dir) {
    return any_entry(dir, [](std::string_view name) { return name.starts_with(kDataDirPrefix); });
  }

  Result<bool> has_child(const std::string& dir) {
    return any_entry(dir, [](std::string_view name) {
      return name != "." && name != ".." && !IsInternalName(name) &&
             DecodeComponent(name).has_value();
    });
  }

  // True when some entry of dir satisfies pred; a missing dir has none.
  template <typename Pred>
  Result<bool> any_entry(const std::string& dir, Pred pred) {
    int dfd = openat(disk_.root_fd(), dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) {
      Status s = disk_.error(errno, "walk open failed", volume_);
      if (s == Code::kFileNotFound) return false;
      return std::unexpected(s);
    }
    DIR* d = fdopendir(dfd);
    if (d == nullptr) {
      close(dfd);
      return false;
    }
    bool found = false;
    while (dirent* e = readdir(d)) {
      if (pred(std::string_view(e->d_name))) {
        found = true;
        break;
      }
    }
    closedir(d);
    return found;
  }

  LocalDisk& disk_;
  std::string volume_;
  WalkOptions opt_;
  std::string name_filter_;
  std::vector<Frame> stack_;
};

// %m.bin: the preamble, then as many bytes as the length it holds says (never the inline
// data beyond, but for what the first read brought along). A legacy %m.json: up to its NUL.
Result<std::string> LocalWalker::read_records(const std::string& rel, bool legacy) {
  int fd = openat(disk_.root_fd(), rel.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
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
    out.append(chunk);
    if (!sized && out.size() >= kMetaPreambleSize) {
      sized = true;
      uint32_t len = 0;  // little-endian
      for (size_t i = 0; i < 4; ++i) {
        len |= static_cast<uint32_t>(static_cast<uint8_t>(out[kMetaRecordsLenOffset + i]))
               << (8 * i);
      }
      want = std::min<size_t>(kMetaPreambleSize + len, kMaxReadAllBytes);
    }
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
