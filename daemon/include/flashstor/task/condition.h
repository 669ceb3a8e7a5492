// Condition: a condition variable that fibers and plain threads can both wait on. A fiber
// parks (its loop runs other work meanwhile); a thread blocks. Used by the engine's waits
// (I/O batches, namespace locks) so a request task never holds its loop's thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>

#include "flashstor/task/fiber.h"

namespace flashstor::task {

class Condition {
 public:
  // Waits until pred() holds (true) or timeout passes (false: pred() still false). lock is
  // held on entry and on return, released while waiting.
  // A fiber's deadline has millisecond resolution (rounded up); a thread's is exact.
  template <typename Rep, typename Period, typename Pred>
  bool wait_for(std::unique_lock<std::mutex>& lock, std::chrono::duration<Rep, Period> timeout,
                Pred pred) {
    if (CurrentFiber() == nullptr) return cv_.wait_for(lock, timeout, pred);
    const int64_t deadline =
        NowMs() + std::chrono::ceil<std::chrono::milliseconds>(timeout).count();
    while (!pred()) {
      const int64_t now = NowMs();
      if (now >= deadline) return pred();
      park(lock, deadline);
    }
    return true;
  }

  template <typename Pred>
  void wait(std::unique_lock<std::mutex>& lock, Pred pred) {
    if (CurrentFiber() == nullptr) return cv_.wait(lock, pred);
    while (!pred()) park(lock, 0);
  }

  // Call with the mutex held: parked fibers are only reachable while their entry is listed.
  void notify_all();
  void notify_one();

 private:
  struct Waiter {
    Waker waker;
    Waiter* prev = nullptr;
    Waiter* next = nullptr;
  };
  // Lists a waiter for the current fiber, releases lock, parks, relocks, unlists.
  void park(std::unique_lock<std::mutex>& lock, int64_t deadline_ms);
  void unlink(Waiter* w);
  static int64_t NowMs();

  std::condition_variable cv_;
  Waiter* head_ = nullptr;
  Waiter* tail_ = nullptr;
};

}  // namespace flashstor::task
