// Fiber: a request's task with its own guard-paged stack, switched in and out of its event
// loop's thread (task/context.h). Stacks come from a per-scheduler pool, so a request faults in no
// fresh stack pages; see docs/execution-model.md for why stackful fibers.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <vector>

#include "flashstor/task/context.h"

namespace flashstor::task {

class Scheduler;

// One stack: [guard page][usable bytes]. Owned by a StackPool.
struct Stack {
  void* base = nullptr;  // mapping start (the guard page)
  size_t mapped = 0;     // guard + usable
  void* bottom() const { return static_cast<char*>(base) + kGuardBytes; }
  size_t usable() const { return mapped - kGuardBytes; }
  static constexpr size_t kGuardBytes = 4096;
};

// Caches released stacks (their touched pages stay resident, which is the point) up to a
// bound; beyond it stacks are unmapped. Not thread-safe: one scheduler's.
class StackPool {
 public:
  StackPool(size_t stack_bytes, size_t max_cached);
  ~StackPool();
  StackPool(const StackPool&) = delete;
  StackPool& operator=(const StackPool&) = delete;

  bool acquire(Stack& out);  // false: out of memory (mmap failed)
  void release(const Stack& s);
  // Unmaps every cached stack (the server going idle): the pages a burst's tasks touched are
  // given back instead of kept for a burst that may not come.
  void clear();
  size_t stack_bytes() const { return stack_bytes_; }
  size_t cached() const { return free_.size(); }

 private:
  size_t stack_bytes_;
  size_t max_cached_;
  std::vector<Stack> free_;
};

// Park states in the low two bits of Fiber::word_; the rest is the park generation.
enum class ParkState : uint64_t { kRunning = 0, kParked = 1, kWoken = 2, kTimedOut = 3 };

class MemoryWaitHook;

class Fiber {
 public:
  Fiber(const Fiber&) = delete;
  Fiber& operator=(const Fiber&) = delete;

  Fiber() = default;
  Scheduler& scheduler() const { return *scheduler_; }

  // The rest is the scheduler's (scheduler.cc): nobody else touches a fiber's fields.

  static uint64_t Word(uint64_t gen, ParkState s) { return gen << 2 | static_cast<uint64_t>(s); }
  static uint64_t Gen(uint64_t word) { return word >> 2; }
  static ParkState State(uint64_t word) { return static_cast<ParkState>(word & 3); }

  Scheduler* scheduler_ = nullptr;
  std::function<void()> fn_;
  Stack stack_;
  Context context_;
  std::atomic<uint64_t> word_{0};
  bool parking_ = false;  // switched out by Park (not finished)
  bool finished_ = false;
  std::multimap<int64_t, Fiber*>::iterator timer_;
  bool has_timer_ = false;
  void* sanitizer_fiber_ = nullptr;  // TSan's fiber handle
  void* asan_fake_stack_ = nullptr;
  MemoryWaitHook* memory_wait_hook_ = nullptr;  // task/memory_wait.h
};

// Wakes one park of one fiber, from any thread, at most once. A waker of an earlier park
// (stale generation) does nothing. The fiber must stay parked while a waker may be used, so
// whoever keeps wakers in a list removes the entry before the fiber can leave its wait.
struct Waker {
  Fiber* fiber = nullptr;
  uint64_t gen = 0;
  void wake() const;
};

// The fiber running on this thread, or nullptr on a plain thread.
Fiber* CurrentFiber();

// Fiber only: a waker for the next Park() of the current fiber.
Waker PrepareWait();

// Fiber only: parks until waker.wake() or until deadline_ms (CLOCK_MONOTONIC ms; 0: none).
// True when woken, false on timeout. A wake that came before Park returns at once.
bool Park(const Waker& waker, int64_t deadline_ms);

// Fiber only: lets the loop run other work, then continues.
void Yield();

}  // namespace flashstor::task
