// Scheduler: runs one event loop thread's fibers. The loop calls run_ready() after handling
// its events and sleeps no longer than next_timeout_ms(); other threads make parked fibers
// runnable through Waker, which queues them here and calls the loop's wake-up function.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include "flashstor/task/fiber.h"

namespace flashstor::task {

// Sanitized builds grow frames (ASan redzones, TSan bookkeeping): their fibers get more stack.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
inline constexpr size_t kDefaultStackBytes = 1024 * 1024;
#else
inline constexpr size_t kDefaultStackBytes = 256 * 1024;
#endif

struct SchedulerOptions {
  size_t stack_bytes = kDefaultStackBytes;  // per fiber (virtual); touched pages are resident
  size_t max_cached_stacks = 64;
};

class Scheduler {
 public:
  // wake_loop: called (from any thread) when a fiber became runnable from another thread,
  // so the loop leaves epoll_wait (an eventfd write). Only called when the remote queue was
  // empty, so one wake-up covers a burst.
  Scheduler(SchedulerOptions options, std::function<void()> wake_loop);
  ~Scheduler();  // every fiber must have finished
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Binds the scheduler to the calling thread (the loop's), once, before spawn().
  void attach();
  static Scheduler* current();

  // Loop thread: starts fn on a new fiber at the next run_ready(). False when no stack could
  // be mapped (out of memory): fn is not run.
  bool spawn(std::function<void()> fn);

  // Loop thread: runs runnable fibers (woken ones included) until none is left.
  void run_ready();
  // Loop thread: wakes the parked fibers whose deadline passed (they become runnable).
  void fire_timers(int64_t now_ms);
  // Milliseconds until the earliest park deadline (0 if due, -1 if none), for epoll_wait.
  int next_timeout_ms(int64_t now_ms) const;

  size_t live() const { return live_; }  // fibers started and not finished
  size_t cached_stacks() const { return stacks_.cached(); }
  // Loop thread: unmaps the stacks kept for tasks to come (StackPool::clear).
  void release_cached_stacks() { stacks_.clear(); }
  size_t stack_bytes() const { return stacks_.stack_bytes(); }

 private:
  friend struct Waker;
  friend bool Park(const Waker& waker, int64_t deadline_ms);
  friend void Yield();
  friend void FiberEntry();

  void make_ready(Fiber* f);  // any thread
  void switch_to(Fiber* f);
  void switch_out(Fiber* f);  // from f back to the loop
  Fiber* new_fiber();
  void recycle(Fiber* f);

  SchedulerOptions options_;
  std::function<void()> wake_loop_;
  StackPool stacks_;
  Context loop_context_;
  void* loop_sanitizer_fiber_ = nullptr;
  Fiber* running_ = nullptr;
  std::deque<Fiber*> ready_;
  std::multimap<int64_t, Fiber*> timers_;
  std::mutex remote_mu_;
  std::vector<Fiber*> remote_;
  std::vector<std::unique_ptr<Fiber>>
      all_;  // never freed before the scheduler: stale wakers stay safe
  std::vector<Fiber*> free_fibers_;
  size_t live_ = 0;
};

}  // namespace flashstor::task
