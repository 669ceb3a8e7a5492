// BufferPool: reusable large I/O buffers (a GET's copy buffer, an erasure stripe), so a
// request touches pages that are already resident instead of faulting in fresh ones (and
// the allocator does not mmap/munmap them per request). Thread-safe; bounded cache.
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <vector>

namespace flashstor::mem {

class BufferPool {
 public:
  BufferPool(size_t buffer_bytes, size_t max_cached)
      : buffer_bytes_(buffer_bytes), max_cached_(max_cached) {}

  // A buffer of buffer_bytes() that returns to the pool when destroyed; empty when out of
  // memory.
  class Lease {
   public:
    Lease() = default;
    Lease(Lease&& o) noexcept : pool_(o.pool_), data_(std::move(o.data_)) { o.pool_ = nullptr; }
    Lease& operator=(Lease&& o) noexcept {
      if (this != &o) {
        release();
        pool_ = o.pool_;
        data_ = std::move(o.data_);
        o.pool_ = nullptr;
      }
      return *this;
    }
    ~Lease() { release(); }
    // Gives the buffer back now (the lease is empty after).
    void release() {
      if (pool_ != nullptr && data_) pool_->give_back(std::move(data_));
      data_.reset();
      pool_ = nullptr;
    }
    char* data() const { return data_.get(); }
    explicit operator bool() const { return data_ != nullptr; }

   private:
    friend class BufferPool;
    Lease(BufferPool* pool, std::unique_ptr<char[]> data) : pool_(pool), data_(std::move(data)) {}
    BufferPool* pool_ = nullptr;
    std::unique_ptr<char[]> data_;
  };

  Lease take();
  size_t buffer_bytes() const { return buffer_bytes_; }
  size_t cached() const;
  // Frees the kept buffers (leases out keep theirs and bring them back later).
  void clear();

 private:
  void give_back(std::unique_ptr<char[]> data);

  const size_t buffer_bytes_;
  const size_t max_cached_;
  mutable std::mutex mu_;
  std::vector<std::unique_ptr<char[]>> free_;
};

}  // namespace flashstor::mem
