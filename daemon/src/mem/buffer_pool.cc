// BufferPool: a mutex-guarded free list of equal-sized buffers.
#include "flashstor/mem/buffer_pool.h"

#include <new>

namespace flashstor::mem {

BufferPool::Lease BufferPool::take() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!free_.empty()) {
      std::unique_ptr<char[]> data = std::move(free_.back());
      free_.pop_back();
      return Lease(this, std::move(data));
    }
  }
  return Lease(this, std::unique_ptr<char[]>(new (std::nothrow) char[buffer_bytes_]));
}

void BufferPool::give_back(std::unique_ptr<char[]> data) {
  std::lock_guard<std::mutex> lock(mu_);
  if (free_.size() < max_cached_) free_.push_back(std::move(data));
}

void BufferPool::clear() {
  std::vector<std::unique_ptr<char[]>> dropped;
  std::lock_guard<std::mutex> lock(mu_);
  dropped.swap(free_);
}

size_t BufferPool::cached() const {
  std::lock_guard<std::mutex> lock(mu_);
  return free_.size();
}

}  // namespace flashstor::mem
