// Arena: per-connection bump allocator over reusable 64 KiB blocks. reset() after each
// request is O(1) and keeps the blocks; they return to the OS only when the arena dies.
#pragma once

#include <cstddef>
#include <string_view>

namespace flashstor::mem {

class Arena {
 public:
  static constexpr size_t kBlockSize = 64 * 1024;

  Arena();
  ~Arena();
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;

  // Returns n bytes aligned to align, or nullptr when n > kBlockSize (callers bound their
  // sizes; nothing client-controlled may exceed a block). Never throws.
  void* allocate(size_t n, size_t align = alignof(std::max_align_t));
  template <typename T>
  T* allocate_array(size_t count) {
    return static_cast<T*>(allocate(sizeof(T) * count, alignof(T)));
  }
  // Copies s into the arena; returns an empty view when it does not fit.
  std::string_view copy(std::string_view s);

  // Rewinds to the first block; all earlier allocations become invalid. O(1).
  void reset();

  size_t bytes_reserved() const;  // blocks held (kBlockSize each) + bookkeeping
  size_t bytes_used() const;      // bytes handed out since the last reset
  size_t blocks() const;

  // Debug builds (NDEBUG unset) count live allocations; leak_check() reports how many were
  // handed out since reset() without the owner calling release(). Release builds: no-ops.
  void release(void* p);
  size_t outstanding() const;

 private:
  struct Block;
  Block* first_ = nullptr;
  Block* current_ = nullptr;
  size_t offset_ = 0;
  size_t used_ = 0;
  size_t blocks_ = 0;
  size_t outstanding_ = 0;
};

}  // namespace flashstor::mem
