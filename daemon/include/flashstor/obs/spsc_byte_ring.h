// SpscByteRing<N>: a bounded lock-free single-producer/single-consumer FIFO of variable-length
// records packed into N bytes. Fixed storage, no allocation; try_write never blocks and fails
// when the ring lacks room. Records take what they hold (plus an 8-byte header), not a slot
// sized for the largest one, so a ring is resident only as far as it has been written: N bytes
// once it has gone round.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

namespace flashstor::obs {

// 64 bytes on every x86-64 and most arm64 parts; std::hardware_destructive_interference_size
// warns under GCC 12 (-Winterference-size) because it is ABI-unstable.
inline constexpr size_t kCacheLine = 64;

// Threading: exactly one thread may call the producer side (try_write) and exactly one
// (possibly other) thread the consumer side (consume_one). used_bytes() is approximate from
// any thread. Head and tail are free-running byte counters; N is a power of two, so a
// position is counter & (N - 1) and wrap-around of size_t is harmless.
//
// Layout: each record is an 8-byte header (its length) and its bytes, padded to 8. A record
// that does not fit before the end of the storage leaves a wrap header there and starts at
// the beginning; so a record is always contiguous, and one of up to kMaxRecord bytes always
// fits in an empty ring.
template <size_t N>
class SpscByteRing {
  static_assert(N >= 64 && (N & (N - 1)) == 0, "capacity must be a power of two, 64 or more");

 public:
  static constexpr size_t kCapacity = N;
  static constexpr size_t kHeader = 8;
  static constexpr size_t kMaxRecord = N / 2 - kHeader;

  SpscByteRing() {}  // user-provided: value-initialising a ring must not zero its storage
  SpscByteRing(const SpscByteRing&) = delete;
  SpscByteRing& operator=(const SpscByteRing&) = delete;

  // Producer: fill(uint8_t* dst) writes exactly len bytes, in place in the ring. Returns false
  // without calling fill when the ring lacks room or len > kMaxRecord.
  template <typename Fill>
  bool try_write(size_t len, Fill&& fill) {
    if (len > kMaxRecord) return false;
    const size_t need = kHeader + Padded(len);
    const size_t tail = tail_.value.load(std::memory_order_relaxed);
    const size_t to_end = N - (tail & (N - 1));
    const size_t skip = to_end < need ? to_end : 0;  // the end's rest, left with a wrap header
    if (N - (tail - head_cache_) < skip + need) {
      // Looks full with the stale view: refresh the consumer's position (acquire pairs with
      // the consumer's release, so its reads of these bytes happened before we overwrite).
      head_cache_ = head_.value.load(std::memory_order_acquire);
      if (N - (tail - head_cache_) < skip + need) return false;
    }
    if (skip > 0) PutHeader(tail, kWrap);
    const size_t at = tail + skip;
    PutHeader(at, static_cast<uint32_t>(len));
    fill(storage_ + (at & (N - 1)) + kHeader);
    tail_.value.store(at + need, std::memory_order_release);
    return true;
  }

  // Consumer: use(std::span<const uint8_t>) reads the oldest record in place, then its bytes
  // are released to the producer. Returns false without calling use when empty.
  template <typename Use>
  bool consume_one(Use&& use) {
    size_t head = head_.value.load(std::memory_order_relaxed);
    if (head == tail_cache_) {
      tail_cache_ = tail_.value.load(std::memory_order_acquire);
      if (head == tail_cache_) return false;
    }
    uint32_t len = GetHeader(head);
    if (len == kWrap) {  // the record was published with it: it starts the next lap
      head += N - (head & (N - 1));
      len = GetHeader(head);
    }
    use(std::span<const uint8_t>(storage_ + (head & (N - 1)) + kHeader, len));
    head_.value.store(head + kHeader + Padded(len), std::memory_order_release);
    return true;
  }

  // Bytes held, headers and padding included (exact when called by either endpoint with the
  // other idle).
  size_t used_bytes() const {
    const size_t head = head_.value.load(std::memory_order_acquire);
    const size_t tail = tail_.value.load(std::memory_order_acquire);
    return tail - head;
  }
  bool empty() const { return used_bytes() == 0; }

 private:
  static constexpr uint32_t kWrap = 0xffffffffu;
  static constexpr size_t Padded(size_t len) { return (len + 7) & ~size_t{7}; }
  void PutHeader(size_t pos, uint32_t len) {
    std::memcpy(storage_ + (pos & (N - 1)), &len, sizeof(len));
  }
  uint32_t GetHeader(size_t pos) const {
    uint32_t len;
    std::memcpy(&len, storage_ + (pos & (N - 1)), sizeof(len));
    return len;
  }

  struct alignas(kCacheLine) PaddedIndex {
    std::atomic<size_t> value{0};
  };

  // Consumer-owned line: head plus its cached copy of tail.
  PaddedIndex head_;
  alignas(kCacheLine) size_t tail_cache_ = 0;
  // Producer-owned line: tail plus its cached copy of head.
  PaddedIndex tail_;
  alignas(kCacheLine) size_t head_cache_ = 0;
  // Written only by the producer, between the consumer's head and its own tail; never zeroed.
  alignas(kCacheLine) unsigned char storage_[N];
};

}  // namespace flashstor::obs
