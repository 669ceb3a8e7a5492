// Arena: per-connection bump allocator over reusable 64 KiB blocks. reset() after each
// request is O(1) and keeps the blocks; they return to the OS only when the arena dies.
#pragma once

#include <cstddef>
#include <mutex>
#include <string_view>

namespace flashstor::mem {

// Not thread-safe: one owner (the connection, then the worker serving it) at a time.
class BlockPool;

class Arena {
 public:
  static constexpr size_t kBlockSize = 64 * 1024;

  // Blocks come from pool (and go back to it) when one is given; from the heap otherwise.
  explicit Arena(BlockPool* pool = nullptr);
  ~Arena();
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;

  // Returns n bytes aligned to align (a power of two), or nullptr when n > kBlockSize (callers
  // bound their sizes; nothing client-controlled may exceed a block), when align is not a
  // power of two or when the system is out of memory. Any n <= kBlockSize with
  // align <= alignof(std::max_align_t) succeeds unless memory is exhausted. Never throws.
  // Tracked: in FLASHSTOR_ARENA_DEBUG builds the owner must release() it before reset().
  void* allocate(size_t n, size_t align = alignof(std::max_align_t));
  template <typename T>
  T* allocate_array(size_t count) {
    if (count > kBlockSize / sizeof(T)) return nullptr;
    return static_cast<T*>(allocate(sizeof(T) * count, alignof(T)));
  }
  // Same as allocate() for memory that lives until reset() by design (request heads, header
  // arrays, decoded strings): never released, so never counted by the leak check.
  void* allocate_scoped(size_t n, size_t align = alignof(std::max_align_t));
  template <typename T>
  T* allocate_scoped_array(size_t count) {
    if (count > kBlockSize / sizeof(T)) return nullptr;
    return static_cast<T*>(allocate_scoped(sizeof(T) * count, alignof(T)));
  }
  // Copies s into the arena (scoped, like allocate_scoped); returns an empty view when it does
  // not fit (s.size() > kBlockSize) or memory is exhausted.
  std::string_view copy(std::string_view s);

  // Rewinds to the first block; all earlier allocations become invalid. O(1). Debug builds
  // report (stderr) tracked allocations never released and add them to leaks().
  void reset();
  // Hands every block back to the pool (or frees it without one): for a connection that goes
  // idle, so an idle keep-alive connection holds no block. O(blocks). Implies reset() without
  // the leak report (the owner is done with everything).
  void release_blocks();

  size_t bytes_reserved() const;  // blocks held (kBlockSize each) + bookkeeping
  size_t bytes_used() const;      // bytes handed out since the last reset (with padding)
  size_t blocks() const;

  // Leak tracking, active when arena.cc is built with FLASHSTOR_ARENA_DEBUG (CMake option of
  // the same name, ON by default with FLASHSTOR_SANITIZE). release(p) tells the arena that the
  // owner of a tracked allocation is done with it; outstanding() is the count of tracked
  // allocations since reset() not released; leaks() the total reported by reset() so far.
  // Without FLASHSTOR_ARENA_DEBUG all three are no-ops returning 0.
  void release(void* p);
  size_t outstanding() const;
  size_t leaks() const { return leaks_; }
  static bool debug_enabled();

 private:
  friend class BlockPool;
  struct Block;
  void* bump(size_t n, size_t align);
  BlockPool* pool_ = nullptr;
  Block* first_ = nullptr;
  Block* current_ = nullptr;
  size_t offset_ = 0;
  size_t used_ = 0;
  size_t blocks_ = 0;
  size_t outstanding_ = 0;
  size_t leaks_ = 0;
};

// BlockPool: a cache of arena blocks shared by the arenas of one event loop's connections (and
// the workers serving them), so blocks are reused across requests and connections and an idle
// connection holds none. Thread-safe (a mutex; taken at most twice per request). Keeps at most
// max_cached blocks; beyond that, given-back blocks are freed.
class BlockPool {
 public:
  explicit BlockPool(size_t max_cached) : max_cached_(max_cached) {}
  ~BlockPool();
  BlockPool(const BlockPool&) = delete;
  BlockPool& operator=(const BlockPool&) = delete;

  size_t cached() const;
  size_t in_use() const;  // blocks handed out and not given back
  // Frees the cached blocks (the server going idle); blocks in use come back later.
  void clear();

 private:
  friend class Arena;
  Arena::Block* take();
  void give(Arena::Block* block);

  const size_t max_cached_;
  mutable std::mutex mu_;
  Arena::Block* free_ = nullptr;
  size_t cached_ = 0;
  size_t in_use_ = 0;
};

}  // namespace flashstor::mem
