// NamespaceLock: per-resource (bucket/key, upload id) reader/writer locks within the process,
// in a sharded table so unrelated keys never contend on one mutex. Entries exist only while
// held or awaited. Lock waits are bounded by a timeout (kDeadlineExceeded), so a stuck holder
// cannot pile up requests forever. Writers are preferred: a waiting writer blocks new readers, so a
// hot key cannot starve PUTs; the readers that waited through a writer's turn go before the
// next writer, so a stream of writers cannot starve readers either. A request task (fiber)
// that waits parks on its loop instead of blocking the loop's thread. It is the in-process
// Locker (locker.h): every lock carries a token from one process-wide counter (a write lock's
// is its fencing token), and a lease that expires only when one is configured.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "flashstor/common/status.h"
#include "flashstor/object/locker.h"
#include "flashstor/task/cancel_token.h"
#include "flashstor/task/condition.h"

namespace flashstor::object {

class NamespaceLock final : public Locker {
 public:
  // lease: how long a lock (read or write) is held without refresh; zero (the default) means
  // the holder refreshes implicitly (it lives as long as the process) and leases never expire.
  explicit NamespaceLock(std::chrono::milliseconds lease = std::chrono::milliseconds(0))
      : lease_(lease) {}

  Result<Guard> acquire(std::string_view resource, bool write, std::chrono::milliseconds timeout,
                        const task::CancelToken& cancel) override;
  Status refresh(const Guard& guard) override;
  Status check_fence(std::string_view resource, uint64_t fence) override;

  // Number of resources currently held or awaited (for tests).
  size_t active() const;

 private:
  using Clock = std::chrono::steady_clock;
  // A read lock's token and lease end, kept only while a lease is configured: without one a
  // reader is never reclaimed, so a count suffices (and a read lock allocates nothing).
  struct ReaderLease {
    uint64_t token;
    Clock::time_point end;
  };
  struct Entry {
    int readers = 0;
    std::vector<ReaderLease> reader_leases;  // one per reader, only while a lease is configured
    bool writer = false;
    uint64_t fence = 0;                                      // the writer's token
    Clock::time_point lease_end = Clock::time_point::max();  // the writer's lease
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
  // One acquire's wait: its bound, its cancel token, and the token's registration of the wait
  // (made only once the wait is about to park, outside the shard's mutex, and dropped after
  // acquire let go of it).
  struct Wait {
    std::chrono::milliseconds timeout;
    const task::CancelToken& cancel;
    std::optional<task::CancelToken::Watch> watch;
  };

  Shard& shard_for(std::string_view resource);
  bool wait_reader(Shard& s, Entry& e, std::unique_lock<std::mutex>& lock, Wait& wait);
  bool wait_writer(Shard& s, Entry& e, std::unique_lock<std::mutex>& lock, Wait& wait);
  // Waits until can() holds, the timeout passes or the token fires, waking at the earliest
  // lease end (the writer's or a reader's) to reclaim it.
  template <typename Pred>
  bool wait_until_can(Shard& s, Entry& e, std::unique_lock<std::mutex>& lock, Wait& wait, Pred can);
  // Ends the writer's turn if its lease expired and drops the readers whose leases expired
  // (they are reclaimable).
  static void reclaim_expired(Shard& s, Entry& e);
  [[gnu::noinline]] static void reclaim_expired_leases(Shard& s, Entry& e);  // the slow part
  // When the earliest lease of the entry's holders ends (max() when none can expire).
  static Clock::time_point next_lease_end(const Entry& e);
  static bool lease_expired(const Entry& e);
  static void end_writer_turn(Entry& e);
  // Erases the entry if reclaiming its expired leases left it idle.
  static void erase_if_idle(Shard& s, std::unordered_map<std::string, Entry>::iterator it);
  void release(const std::string& resource, bool write, uint64_t token) override;

  const std::chrono::milliseconds lease_;
  std::atomic<uint64_t> next_token_{1};
  Shard shards_[kShards];
};

}  // namespace flashstor::object
