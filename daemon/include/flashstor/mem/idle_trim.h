// IdleTrim: gives the heap's free memory back to the OS once the server has been quiet for a
// while, so RSS returns near its idle level after a burst of large requests. glibc keeps what
// a request frees (its stripes and body buffer) in its arenas for the next one, which is what
// we want under load (no page faults per request) and what we do not want when idle.
// malloc_trim runs at most once per quiet spell, never per request, after the caches that
// keep memory for the next requests were emptied (on_trim).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <vector>

namespace flashstor::mem {

class IdleTrim {
 public:
  explicit IdleTrim(int64_t quiet_ms) : quiet_ms_(quiet_ms) {}

  // Called periodically from any thread (the event loops' one-second ticks) with the count
  // of requests finished so far and whether requests are in flight now. Trims once when no
  // request has run for quiet_ms since the last activity; true when it trimmed now.
  bool tick(uint64_t finished, bool busy, int64_t now_ms);
  // release runs at each trim, before the heap's: it empties a cache that holds memory for
  // requests to come (the GET shard buffers, the drives' metadata caches).
  void on_trim(std::function<void()> release);

  uint64_t trims() const { return trims_.load(std::memory_order_relaxed); }

  // Free bytes the heap holds (glibc's mallinfo2 fordblks: a trim madvises their pages away
  // but they still count), and bytes in use by the program (uordblks plus mmapped chunks); 0
  // where unknown.
  static uint64_t HeapFreeBytes();
  static uint64_t HeapInUseBytes();

 private:
  const int64_t quiet_ms_;
  std::mutex mu_;  // one ticking loop at a time (try_lock: the others skip)
  uint64_t last_finished_ = 0;
  int64_t last_activity_ms_ = 0;
  bool trimmed_ = true;  // nothing to give back before the first request
  std::vector<std::function<void()>> releases_;
  std::atomic<uint64_t> trims_{0};
};

}  // namespace flashstor::mem
