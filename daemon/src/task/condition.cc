// Condition: thread waiters on a std::condition_variable, fiber waiters on an intrusive list.
#include "flashstor/task/condition.h"

#include <ctime>

namespace flashstor::task {

int64_t Condition::NowMs() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1'000'000;
}

void Condition::park(std::unique_lock<std::mutex>& lock, int64_t deadline_ms) {
  Waiter w;
  w.waker = PrepareWait();
  w.prev = tail_;
  if (tail_ != nullptr) {
    tail_->next = &w;
  } else {
    head_ = &w;
  }
  tail_ = &w;
  lock.unlock();
  (void)Park(w.waker, deadline_ms);
  lock.lock();
  unlink(&w);
}

void Condition::unlink(Waiter* w) {
  if (w->prev == nullptr && head_ != w) return;  // already taken off by notify
  if (w->prev != nullptr) {
    w->prev->next = w->next;
  } else {
    head_ = w->next;
  }
  if (w->next != nullptr) {
    w->next->prev = w->prev;
  } else {
    tail_ = w->prev;
  }
  w->prev = w->next = nullptr;
}

void Condition::notify_all() {
  cv_.notify_all();
  for (Waiter* w = head_; w != nullptr;) {
    Waiter* next = w->next;
    w->waker.wake();
    w->prev = w->next = nullptr;
    w = next;
  }
  head_ = tail_ = nullptr;
}

void Condition::notify_one() {
  // Wakes one of each kind: a woken waiter whose predicate is false waits again, so waking
  // one too many is harmless while waking none would lose the signal.
  cv_.notify_one();
  if (Waiter* w = head_; w != nullptr) {
    head_ = w->next;
    if (head_ != nullptr) {
      head_->prev = nullptr;
    } else {
      tail_ = nullptr;
    }
    w->prev = w->next = nullptr;
    w->waker.wake();
  }
}

}  // namespace flashstor::task
