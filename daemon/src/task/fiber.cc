// Fiber stacks: guard-paged mappings cached for reuse (see fiber.h).
#include "flashstor/task/fiber.h"

#include <sys/mman.h>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#endif

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
#if defined(__SANITIZE_ADDRESS__)
  // The last frames of the stack's task never returned (it switched out for good), so ASan
  // still holds their redzones poisoned: cleared before the next task runs here or, once the
  // stack is unmapped, before a later mapping at these addresses (a shard buffer's) is read.
  // ASan's swapcontext interceptor cleared a stack on every switch to it.
  ASAN_UNPOISON_MEMORY_REGION(s.bottom(), s.usable());
#endif
  if (free_.size() < max_cached_) {
    free_.push_back(s);
  } else {
    munmap(s.base, s.mapped);
  }
}

}  // namespace flashstor::task
