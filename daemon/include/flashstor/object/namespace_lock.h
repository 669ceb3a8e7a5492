// NamespaceLock: per-resource (bucket/key, upload id) reader/writer locks within the process,
// in a sharded table so unrelated keys never contend on one mutex. Entries exist only while
// held or awaited. Lock waits are bounded by a timeout (kTimeout), so a stuck holder cannot
// pile up requests forever. Writers are preferred: a waiting writer blocks new readers, so a
// hot key cannot starve PUTs; the readers that waited through a writer's turn go before the
// next writer, so a stream of writers cannot starve readers either. A request task (fiber)
// that waits parks on its loop instead of blocking the loop's thread. A cluster-wide lock will
// wrap this later.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "flashstor/common/status.h"
#include "flashstor/task/condition.h"

namespace flashstor::object {

class NamespaceLock {
 public:
  static constexpr std::chrono::milliseconds kDefaultTimeout{30000};

  // Releases the lock it holds on destruction. Movable.
  class Guard {
   public:
    Guard() = default;
    Guard(Guard&& other) noexcept;
    Guard& operator=(Guard&& other) noexcept;
    ~Guard() { release(); }
    void release();
    bool held() const { return owner_ != nullptr; }

   private:
    friend class NamespaceLock;
    Guard(NamespaceLock* owner, std::string resource, bool write)
        : owner_(owner), resource_(std::move(resource)), write_(write) {}
    NamespaceLock* owner_ = nullptr;
    std::string resource_;
    bool write_ = false;
  };

  // Shared (read) or exclusive (write) lock on resource; kTimeout after timeout.
  Result<Guard> lock(std::string_view resource, bool write,
                     std::chrono::milliseconds timeout = kDefaultTimeout);

  // Number of resources currently held or awaited (for tests).
  size_t active() const;

 private:
  struct Entry {
    int readers = 0;
    bool writer = false;
    int waiting_readers = 0;
    int waiting_writers = 0;
    uint64_t write_releases = 0;  // writer turns ended so far (a reader's wait generation)
    int readers_owed = 0;         // readers that waited through the last writer's turn
    bool idle() const {
      return readers == 0 && !writer && waiting_readers == 0 && waiting_writers == 0;
    }
  };
  struct Shard {
    mutable std::mutex mu;
    task::Condition cv;  // request tasks park, plain threads block
    std::unordered_map<std::string, Entry> entries;
  };
  static constexpr size_t kShards = 64;

  Shard& shard_for(std::string_view resource);
  static bool wait_reader(Shard& s, Entry& e, std::unique_lock<std::mutex>& lock,
                          std::chrono::milliseconds timeout);
  static bool wait_writer(Shard& s, Entry& e, std::unique_lock<std::mutex>& lock,
                          std::chrono::milliseconds timeout);
  void unlock(const std::string& resource, bool write);

  Shard shards_[kShards];
};

}  // namespace flashstor::object
