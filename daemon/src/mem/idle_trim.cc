// IdleTrim: activity tracking over the loops' ticks and glibc's malloc_trim.
#include "flashstor/mem/idle_trim.h"

#include <cstdlib>  // defines __GLIBC__ on glibc

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace flashstor::mem {

void IdleTrim::on_trim(std::function<void()> release) {
  std::lock_guard<std::mutex> lock(mu_);
  releases_.push_back(std::move(release));
}

bool IdleTrim::tick(uint64_t finished, bool busy, int64_t now_ms) {
  std::unique_lock<std::mutex> lock(mu_, std::try_to_lock);
  if (!lock.owns_lock()) return false;
  if (busy || finished != last_finished_) {
    last_finished_ = finished;
    last_activity_ms_ = now_ms;
    trimmed_ = false;
    return false;
  }
  if (trimmed_ || now_ms - last_activity_ms_ < quiet_ms_) return false;
  trimmed_ = true;
  for (const auto& release : releases_) release();  // caches kept for requests that stopped
#if defined(__GLIBC__)
  // Every arena: the top of each heap is unmapped, free pages inside it are madvised away.
  malloc_trim(0);
#endif
  trims_.fetch_add(1, std::memory_order_relaxed);
  return true;
}

uint64_t IdleTrim::HeapFreeBytes() {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
  return mallinfo2().fordblks;
#else
  return 0;
#endif
}

uint64_t IdleTrim::HeapInUseBytes() {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
  struct mallinfo2 m = mallinfo2();
  return m.uordblks + m.hblkhd;
#else
  return 0;
#endif
}

}  // namespace flashstor::mem
