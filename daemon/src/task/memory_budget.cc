// MemoryBudget: a byte-counting semaphore on a Condition (tasks park, threads block).
#include "flashstor/task/memory_budget.h"

#include <algorithm>
#include <optional>

#include "flashstor/task/memory_wait.h"

namespace flashstor::task {

MemoryBudget::Grant& MemoryBudget::Grant::operator=(Grant&& o) noexcept {
  if (this != &o) {
    release();
    budget_ = o.budget_;
    bytes_ = o.bytes_;
    o.budget_ = nullptr;
  }
  return *this;
}

void MemoryBudget::Grant::release() {
  if (budget_ != nullptr) budget_->give_back(bytes_);
  budget_ = nullptr;
}

bool MemoryBudget::acquire(uint64_t bytes, std::chrono::milliseconds timeout, Grant& out,
                           const CancelToken& cancel) {
  bytes = std::min(bytes, capacity_);
  auto fits = [&] { return used_ + bytes <= capacity_; };
  MemoryWaitHook* hook = nullptr;
  bool granted = true;
  std::optional<CancelToken::Watch> watch;  // registered unlocked, dropped after the lock
  {
    std::unique_lock<std::mutex> lock(mu_);
    if (!fits()) {
      ++waits_;
      hook = CurrentMemoryWaitHook();
      if (hook != nullptr || cancel.valid()) {  // outside our lock: the hook admits others
        lock.unlock();
        if (hook != nullptr && !hook->waiting_for_memory()) hook = nullptr;
        if (cancel.valid()) watch.emplace(cancel, mu_, freed_);
        lock.lock();
      }
      freed_.wait_for(lock, timeout, [&] { return fits() || cancel.cancelled(); });
      if (!fits()) {
        if (!cancel.cancelled()) ++timeouts_;
        granted = false;
      }
    }
    if (granted) {
      used_ += bytes;
      out = Grant(this, bytes);
    }
  }
  if (hook != nullptr) hook->done_waiting();
  return granted;
}

bool MemoryBudget::try_acquire(uint64_t bytes, Grant& out) {
  bytes = std::min(bytes, capacity_);
  std::lock_guard<std::mutex> lock(mu_);
  if (used_ + bytes > capacity_) return false;
  used_ += bytes;
  out = Grant(this, bytes);
  return true;
}

void MemoryBudget::give_back(uint64_t bytes) {
  std::lock_guard<std::mutex> lock(mu_);
  used_ -= bytes;
  freed_.notify_all();
}

uint64_t MemoryBudget::in_use() const {
  std::lock_guard<std::mutex> lock(mu_);
  return used_;
}
uint64_t MemoryBudget::waits() const {
  std::lock_guard<std::mutex> lock(mu_);
  return waits_;
}
uint64_t MemoryBudget::timeouts() const {
  std::lock_guard<std::mutex> lock(mu_);
  return timeouts_;
}

}  // namespace flashstor::task
