// MemoryBudget: the bytes that requests in flight may hold in large buffers (erasure stripes,
// copy buffers). A request takes a grant before it allocates them and waits (a task parks, a
// thread blocks) while the budget is spent, until its deadline; so memory, not a thread count,
// bounds how much work is in flight, and a flood of large requests queues instead of growing
// the heap.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>

#include "flashstor/task/cancel_token.h"
#include "flashstor/task/condition.h"

namespace flashstor::task {

class MemoryBudget {
 public:
  explicit MemoryBudget(uint64_t capacity_bytes) : capacity_(capacity_bytes) {}

  // Holds bytes of the budget until destroyed. Movable.
  class Grant {
   public:
    Grant() = default;
    Grant(Grant&& o) noexcept : budget_(o.budget_), bytes_(o.bytes_) { o.budget_ = nullptr; }
    Grant& operator=(Grant&& o) noexcept;
    ~Grant() { release(); }
    void release();
    uint64_t bytes() const { return budget_ != nullptr ? bytes_ : 0; }

   private:
    friend class MemoryBudget;
    Grant(MemoryBudget* b, uint64_t n) : budget_(b), bytes_(n) {}
    MemoryBudget* budget_ = nullptr;
    uint64_t bytes_ = 0;
  };

  // A grant of bytes (more than the capacity is taken as the whole capacity, so any request
  // can run alone), or false after timeout, or once cancel fired, with out untouched.
  bool acquire(uint64_t bytes, std::chrono::milliseconds timeout, Grant& out,
               const CancelToken& cancel = {});
  // The same without waiting: false at once when the budget is spent.
  bool try_acquire(uint64_t bytes, Grant& out);

  uint64_t capacity() const { return capacity_; }
  uint64_t in_use() const;
  uint64_t waits() const;     // acquisitions that had to wait
  uint64_t timeouts() const;  // acquisitions that gave up

 private:
  void give_back(uint64_t bytes);

  const uint64_t capacity_;
  mutable std::mutex mu_;
  Condition freed_;
  uint64_t used_ = 0;
  uint64_t waits_ = 0;
  uint64_t timeouts_ = 0;
};

}  // namespace flashstor::task
