// Fiber stacks: guard-paged mappings cached for reuse (see fiber.h).
#include "flashstor/task/fiber.h"

#include <sys/mman.h>

namespace flashstor::task {

StackPool::StackPool(size_t stack_bytes, size_t max_cached)
    : stack_bytes_((stack_bytes + Stack::kGuardBytes - 1) / Stack::kGuardBytes *
                   Stack::kGuardBytes),
      max_cached_(max_cached) {}

StackPool::~StackPool() {
  clear();
}

void StackPool::clear() {
  for (const Stack& s : free_) munmap(s.base, s.mapped);
  free_.clear();
}

bool StackPool::acquire(Stack& out) {
  if (!free_.empty()) {
    out = free_.back();
    free_.pop_back();
    return true;
  }
  const size_t mapped = stack_bytes_ + Stack::kGuardBytes;
  void* p = mmap(nullptr, mapped, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) return false;
  // The lowest page traps a stack overflow instead of letting it run into other memory.
  if (mprotect(p, Stack::kGuardBytes, PROT_NONE) != 0) {
    munmap(p, mapped);
    return false;
  }
  out = Stack{p, mapped};
  return true;
}

void StackPool::release(const Stack& s) {
  if (free_.size() < max_cached_) {
    free_.push_back(s);
  } else {
    munmap(s.base, s.mapped);
  }
}

}  // namespace flashstor::task
