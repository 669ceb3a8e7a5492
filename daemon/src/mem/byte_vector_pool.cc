// ByteVectorPool: a mutex-guarded, byte-bounded free list of byte vectors.
#include "flashstor/mem/byte_vector_pool.h"

#include <utility>

namespace flashstor::mem {

ShardBuffer ByteVectorPool::take(size_t size) {
  ShardBuffer out;
  {
    std::lock_guard<std::mutex> lock(mu_);
    // The most recently given back first: its pages are the likeliest still in the CPU caches.
    for (size_t i = free_.size(); i-- > 0;) {
      if (free_[i].capacity() < size) continue;
      out = std::move(free_[i]);
      free_.erase(free_.begin() + static_cast<std::ptrdiff_t>(i));
      bytes_ -= out.capacity();
      break;
    }
  }
  if (out.capacity() < size) {
    // Whole pages and one more: a write's lead (the room before a block's shard,
    // object/shard_io.h) moves the shard within the buffer from block to block, and a buffer
    // that fits every lead serves every block.
    out.reserve((size + kPageBytes - 1) / kPageBytes * kPageBytes + kPageBytes);
  }
  out.resize(size);  // no-op for a vector kept at this size
  return out;
}

void ByteVectorPool::give(ShardBuffer&& v) {
  ShardBuffer dropped;  // freed outside the lock
  if (v.capacity() < kPooledMin) {
    // An inline object's shards (2 KiB for 4 KiB objects) are cheap to allocate; kept, they
    // filled the bound with thousands of small vectors that take() then had to scan.
    dropped = std::move(v);
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (bytes_ + v.capacity() <= max_bytes_) {
      bytes_ += v.capacity();
      free_.push_back(std::move(v));
      return;
    }
  }
  dropped = std::move(v);
}

void ByteVectorPool::fit(ShardBuffer& v, size_t size) {
  if (size < kPooledMin || v.capacity() >= size) {
    v.resize(size);
    return;
  }
  give(std::exchange(v, take(size)));
}

void ByteVectorPool::give_all(std::vector<ShardBuffer>& vs) {
  for (ShardBuffer& v : vs) give(std::move(v));
}

void ByteVectorPool::clear() {
  std::vector<ShardBuffer> dropped;
  {
    std::lock_guard<std::mutex> lock(mu_);
    dropped.swap(free_);
    bytes_ = 0;
  }
}

void ByteVectorPool::set_max_bytes(size_t max_bytes) {
  std::lock_guard<std::mutex> lock(mu_);
  max_bytes_ = max_bytes;
}

size_t ByteVectorPool::bytes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return bytes_;
}

ByteVectorPool& ShardBuffers() {
  static ByteVectorPool* pool = new ByteVectorPool(8u << 20);  // never destroyed: stragglers
  return *pool;
}

}  // namespace flashstor::mem
