// Arena: bump allocation over a singly linked chain of 64 KiB blocks that reset() rewinds
// without freeing, plus the optional (FLASHSTOR_ARENA_DEBUG) leak accounting.
#include "flashstor/mem/arena.h"

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <new>
#include <utility>

namespace flashstor::mem {

struct Arena::Block {
  Block* next = nullptr;
  alignas(std::max_align_t) char data[kBlockSize];
};

#ifdef FLASHSTOR_ARENA_DEBUG
constexpr bool kArenaDebug = true;
#else
constexpr bool kArenaDebug = false;
#endif

Arena::Arena(BlockPool* pool) : pool_(pool) {}

Arena::~Arena() {
  release_blocks();
}

void Arena::release_blocks() {
  Block* b = first_;
  while (b != nullptr) {
    Block* next = b->next;
    if (pool_ != nullptr) {
      pool_->give(b);
    } else {
      delete b;
    }
    b = next;
  }
  first_ = current_ = nullptr;
  blocks_ = 0;
  offset_ = 0;
  used_ = 0;
  outstanding_ = 0;
}

BlockPool::~BlockPool() {
  clear();
}

void BlockPool::clear() {
  Arena::Block* list = nullptr;
  {
    std::lock_guard<std::mutex> lock(mu_);
    list = std::exchange(free_, nullptr);
    cached_ = 0;
  }
  while (list != nullptr) {  // freed outside the lock
    Arena::Block* next = list->next;
    delete list;
    list = next;
  }
}

Arena::Block* BlockPool::take() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++in_use_;
    if (free_ != nullptr) {
      Arena::Block* b = free_;
      free_ = b->next;
      --cached_;
      b->next = nullptr;
      return b;
    }
  }
  Arena::Block* b = new (std::nothrow) Arena::Block;
  if (b == nullptr) {
    std::lock_guard<std::mutex> lock(mu_);
    --in_use_;
  }
  return b;
}

void BlockPool::give(Arena::Block* block) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    --in_use_;
    if (cached_ < max_cached_) {
      block->next = free_;
      free_ = block;
      ++cached_;
      return;
    }
  }
  delete block;
}

size_t BlockPool::cached() const {
  std::lock_guard<std::mutex> lock(mu_);
  return cached_;
}

size_t BlockPool::in_use() const {
  std::lock_guard<std::mutex> lock(mu_);
  return in_use_;
}

bool Arena::debug_enabled() {
  return kArenaDebug;
}

void* Arena::bump(size_t n, size_t align) {
  if (n > kBlockSize || align == 0 || (align & (align - 1)) != 0) return nullptr;
  for (;;) {
    if (current_ != nullptr) {
      uintptr_t base = reinterpret_cast<uintptr_t>(current_->data);
      uintptr_t at = (base + offset_ + (align - 1)) & ~(uintptr_t{align} - 1);
      size_t start = at - base;
      if (start <= kBlockSize && n <= kBlockSize - start) {
        used_ += start + n - offset_;
        offset_ = start + n;
        return current_->data + start;
      }
      // A fresh block starts max_align_t-aligned: a larger alignment may never fit.
      if (offset_ == 0) return nullptr;
    }
    Block* next = current_ == nullptr ? first_ : current_->next;
    if (next == nullptr) {
      next = pool_ != nullptr ? pool_->take() : new (std::nothrow) Block;
      if (next == nullptr) return nullptr;
      ++blocks_;
      if (first_ == nullptr) {
        first_ = next;
      } else {
        current_->next = next;
      }
    }
    // Padding left at the end of the previous block counts as used.
    if (current_ != nullptr) used_ += kBlockSize - offset_;
    current_ = next;
    offset_ = 0;
  }
}

void* Arena::allocate(size_t n, size_t align) {
  void* p = bump(n, align);
  if (kArenaDebug && p != nullptr) ++outstanding_;
  return p;
}

void* Arena::allocate_scoped(size_t n, size_t align) {
  return bump(n, align);
}

std::string_view Arena::copy(std::string_view s) {
  if (s.empty()) return {};
  char* p = static_cast<char*>(bump(s.size(), 1));
  if (p == nullptr) return {};
  std::memcpy(p, s.data(), s.size());
  return {p, s.size()};
}

void Arena::reset() {
  if (kArenaDebug && outstanding_ != 0) {
    std::fprintf(stderr, "flashstor arena %p: %zu allocation(s) not released before reset\n",
                 static_cast<void*>(this), outstanding_);
    leaks_ += outstanding_;
  }
  outstanding_ = 0;
  current_ = first_;
  offset_ = 0;
  used_ = 0;
}

size_t Arena::bytes_reserved() const {
  return blocks_ * sizeof(Block) + sizeof(Arena);
}
size_t Arena::bytes_used() const {
  return used_;
}
size_t Arena::blocks() const {
  return blocks_;
}

void Arena::release(void* p) {
  if (kArenaDebug && p != nullptr && outstanding_ != 0) --outstanding_;
}

size_t Arena::outstanding() const {
  return outstanding_;
}

}  // namespace flashstor::mem
