// ShardBuffer's mappings: anonymous, private, whole pages.
#include "flashstor/mem/shard_buffer.h"

#include <sys/mman.h>
#include <unistd.h>

namespace flashstor::mem {
namespace {

size_t Pages(size_t bytes) {
  static const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  return (bytes + page - 1) & ~(page - 1);
}

}  // namespace

void* MapPages(size_t bytes) {
  void* p = mmap(nullptr, Pages(bytes), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) throw std::bad_alloc();
  return p;
}

void UnmapPages(void* p, size_t bytes) noexcept {
  munmap(p, Pages(bytes));
}

}  // namespace flashstor::mem
