// ShardBuffer: the byte vector an erasure stripe's shards live in. From kLargeBufferBytes up it
// is mapped on its own, page-aligned, so a drive writes a shard straight from it with O_DIRECT
// (storage/shard_file_writer.cc) without a staging copy; smaller ones come from malloc.
#pragma once

#include <cstddef>
#include <cstdint>
#include <new>
#include <vector>

#include "flashstor/mem/heap_policy.h"

namespace flashstor::mem {

// The alignment of a direct write's memory and file offsets: a page, a multiple of every
// device's logical block and DMA alignment (512 bytes on virtio-blk, 4 on NVMe).
inline constexpr size_t kPageBytes = 4096;

// Maps bytes (rounded up to pages) of zeroed memory, or throws std::bad_alloc.
void* MapPages(size_t bytes);
void UnmapPages(void* p, size_t bytes) noexcept;

// A large buffer is mapped as malloc would map it (heap_policy.h), but from its first byte:
// malloc's own mapping puts a 16-byte header there. A smaller one (an inline object's shards)
// is written through the page cache anyway and comes from malloc.
template <typename T>
struct PageAlignedAllocator {
  using value_type = T;
  PageAlignedAllocator() = default;
  template <typename U>
  PageAlignedAllocator(const PageAlignedAllocator<U>&) noexcept {}

  T* allocate(size_t n) {
    const size_t bytes = n * sizeof(T);
    if (bytes < kLargeBufferBytes) return static_cast<T*>(::operator new(bytes));
    return static_cast<T*>(MapPages(bytes));
  }
  void deallocate(T* p, size_t n) noexcept {
    const size_t bytes = n * sizeof(T);
    if (bytes < kLargeBufferBytes) {
      ::operator delete(p, bytes);
    } else {
      UnmapPages(p, bytes);
    }
  }
  // resize() leaves the bytes it adds as the memory held them (default-initialised), where
  // std::allocator would zero them: a buffer's user writes its bytes before reading them (a
  // shard read fills exactly its length or fails, a body read fills the data shards, encode
  // the parity, padding is zeroed by SplitBlock and EncodeStripe), and a pooled buffer's
  // bytes were someone's shard anyway. Zeroing them was 5 % of a 1 MiB PUT's CPU.
  template <typename U>
  void construct(U* p) noexcept {
    ::new (static_cast<void*>(p)) U;
  }
  template <typename U>
  bool operator==(const PageAlignedAllocator<U>&) const noexcept {
    return true;
  }
};

using ShardBuffer = std::vector<uint8_t, PageAlignedAllocator<uint8_t>>;

}  // namespace flashstor::mem
