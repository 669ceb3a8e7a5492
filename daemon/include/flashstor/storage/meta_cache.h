// MetaCache: the object metadata files (%m.bin) one drive served lately, kept in memory so a
// GET whose metadata is cached opens, stats and reads no file on that drive. Bounded by bytes,
// split in stripes with their own lock and segmented LRU lists (scan-resistant). Every LocalDisk
// call that changes the drive tells the cache what it changed (changed()); a read that raced such a
// change does not fill the cache with what it read (tickets). Files changed behind the process's
// back are not seen: nothing but this process writes a drive while it runs (docs/concurrency.md).
#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "flashstor/storage/meta_write_seq.h"
#include "flashstor/storage/storage_api.h"

namespace flashstor::storage {

class MetaCache {
 public:
  static constexpr size_t kStripes = 16;

  explicit MetaCache(size_t capacity_bytes);
  MetaCache(const MetaCache&) = delete;
  MetaCache& operator=(const MetaCache&) = delete;

  // The cache of the drive whose root is (dev, ino), shared by every LocalDisk open on it,
  // emptied: a drive (re)opened may have been changed while nobody had it open.
  static std::shared_ptr<MetaCache> ForDrive(dev_t dev, ino_t ino, size_t capacity_bytes);

  // Whether rel (a drive-relative path) is a file this cache holds: an object's %m.bin
  // outside the system volume.
  static bool Cacheable(std::string_view rel);

  // Taken before reading rel from the drive; insert() keeps what was read only if nothing
  // in rel's stripe changed since.
  struct Ticket {
    size_t stripe = 0;
    uint64_t generation = 0;
  };
  Ticket ticket(std::string_view rel) const;
  // The cached bytes, shared (no copy under the stripe's lock), or null.
  SharedBytes find(std::string_view rel);
  void insert(std::string_view rel, SharedBytes contents, Ticket ticket);
  void insert(std::string_view rel, std::string_view contents, Ticket ticket) {
    insert(rel, std::make_shared<const std::string>(contents), ticket);
  }

  // rel was created, replaced, renamed or removed (a file or a directory). A metadata file
  // drops its entry; a data dir or anything under the system volume changes no metadata; any
  // other directory (a key's, a bucket's) may hold metadata files: everything goes.
  void changed(std::string_view rel);
  void clear();
  static void ClearAll();  // every drive's (the server going idle: IdleTrim::on_trim)

  // Readers' check against in-place writes of the drive's metadata files (meta_write_seq.h).
  MetaWriteSeq& write_seq() { return write_seq_; }

  struct Totals {
    uint64_t hits = 0, misses = 0, bytes = 0, entries = 0;
  };
  Totals totals() const;
  static Totals AllDrives();  // summed over the caches of every drive open now

 private:
  // A segmented LRU: a file read once waits in `probation`; read again, it moves to
  // `protected` (at most kProtectedShare of the stripe), whose oldest fall back to probation.
  // Evictions take probation's oldest first, so a pass over many keys read once (the scanner,
  // a listing's HEADs) cycles through probation and leaves the keys GETs keep reading alone.
  struct Entry {
    std::string key;
    SharedBytes value;  // never null
    bool hot = false;   // in `protected`
  };
  using List = std::list<Entry>;  // most recent first
  struct Stripe {
    mutable std::mutex mu;
    List probation, protected_;
    std::unordered_map<std::string_view, List::iterator> index;  // keys of both lists
    size_t probation_bytes = 0, protected_bytes = 0;
    std::atomic<uint64_t> generation{0};
  };
  static constexpr double kProtectedShare = 0.75;
  static size_t Cost(const Entry& e) { return e.key.size() + e.value->size() + kEntryOverhead; }
  static constexpr size_t kEntryOverhead = 160;  // list node, map node, key, shared value
  size_t stripe_of(std::string_view rel) const;
  void erase_locked(Stripe& s, List::iterator it);
  void promote_locked(Stripe& s, List::iterator it);

  const size_t stripe_capacity_;
  Stripe stripes_[kStripes];
  std::atomic<uint64_t> hits_{0}, misses_{0};
  MetaWriteSeq write_seq_;
};

}  // namespace flashstor::storage
