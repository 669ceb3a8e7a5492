// SpscRing<T, N>: bounded lock-free single-producer/single-consumer FIFO. Fixed storage, no
// allocation after construction; try_push never blocks and fails when the ring is full. A slot
// is constructed when the producer first reaches it, so a large ring costs memory (and page
// faults) only as far as it has been used.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <new>
#include <type_traits>

namespace flashstor::obs {

// 64 bytes on every x86-64 and most arm64 parts; std::hardware_destructive_interference_size
// warns under GCC 12 (-Winterference-size) because it is ABI-unstable.
inline constexpr size_t kCacheLine = 64;

// Threading: exactly one thread may call the producer side (try_push, try_push_with) and
// exactly one (possibly other) thread the consumer side (try_pop, consume_one). empty()/size()
// are approximate from any thread. Head and tail are free-running counters; N is a power of two
// so index = counter & (N - 1) and wrap-around of size_t is harmless.
template <typename T, size_t N>
class SpscRing {
  static_assert(N >= 2 && (N & (N - 1)) == 0, "capacity must be a power of two");
  static_assert(std::is_default_constructible_v<T>, "slots are value-initialised on first use");

 public:
  static constexpr size_t kCapacity = N;

  SpscRing() {}  // user-provided: value-initialising a ring must not zero its storage
  ~SpscRing() {
    const size_t constructed = std::min(tail_.value.load(std::memory_order_relaxed), N);
    for (size_t i = 0; i < constructed; ++i) slot(i).~T();
  }
  SpscRing(const SpscRing&) = delete;
  SpscRing& operator=(const SpscRing&) = delete;

  // Producer: copies value into the next slot. Returns false (and leaves the ring unchanged)
  // when full.
  bool try_push(const T& value) {
    return try_push_with([&value](T& slot) { slot = value; });
  }

  // Producer: fill(T&) writes the next slot in place (avoids a second copy of large records).
  // Returns false without calling fill when full.
  template <typename Fill>
  bool try_push_with(Fill&& fill) {
    const size_t tail = tail_.value.load(std::memory_order_relaxed);
    if (tail - head_cache_ == N) {
      // Looks full with the stale view: refresh the consumer's position (acquire pairs with the
      // consumer's release so its reads of the slot happened before we overwrite it).
      head_cache_ = head_.value.load(std::memory_order_acquire);
      if (tail - head_cache_ == N) return false;
    }
    // First lap: the slot has never been used; construct it (the consumer reads only slots
    // below the published tail, so always constructed ones).
    if (tail < N) ::new (static_cast<void*>(storage_ + tail * sizeof(T))) T();
    fill(slot(tail & (N - 1)));
    tail_.value.store(tail + 1, std::memory_order_release);
    return true;
  }

  // Consumer: moves the oldest element into out. Returns false when empty.
  bool try_pop(T& out) {
    return consume_one([&out](T& slot) { out = std::move(slot); });
  }

  // Consumer: use(T&) reads the oldest slot in place, then the slot is released to the
  // producer. Returns false without calling use when empty.
  template <typename Use>
  bool consume_one(Use&& use) {
    const size_t head = head_.value.load(std::memory_order_relaxed);
    if (head == tail_cache_) {
      tail_cache_ = tail_.value.load(std::memory_order_acquire);
      if (head == tail_cache_) return false;
    }
    use(slot(head & (N - 1)));
    head_.value.store(head + 1, std::memory_order_release);
    return true;
  }

  // Approximate element count (exact when called by either endpoint with the other idle).
  size_t size() const {
    const size_t head = head_.value.load(std::memory_order_acquire);
    const size_t tail = tail_.value.load(std::memory_order_acquire);
    return tail - head;
  }
  bool empty() const { return size() == 0; }

 private:
  T& slot(size_t i) { return *std::launder(reinterpret_cast<T*>(storage_ + i * sizeof(T))); }

  struct alignas(kCacheLine) PaddedIndex {
    std::atomic<size_t> value{0};
  };

  // Consumer-owned line: head plus its cached copy of tail.
  PaddedIndex head_;
  alignas(kCacheLine) size_t tail_cache_ = 0;
  // Producer-owned line: tail plus its cached copy of head.
  PaddedIndex tail_;
  alignas(kCacheLine) size_t head_cache_ = 0;
  // N slots of T, constructed on the producer's first lap (see try_push_with).
  alignas(kCacheLine > alignof(T) ? kCacheLine : alignof(T)) unsigned char storage_[N * sizeof(T)];
};

}  // namespace flashstor::obs
