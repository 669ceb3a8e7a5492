// Scheduler: the fiber run queue of one loop thread, park/wake across threads, park deadlines,
// and the context switches (task/context.h), annotated for ASan and TSan.
#include "flashstor/task/scheduler.h"

#include "flashstor/task/memory_wait.h"

#include <cstdio>
#include <cstdlib>
#include <exception>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/common_interface_defs.h>
#define FS_ASAN_FIBERS 1
#endif
#if defined(__SANITIZE_THREAD__)
#include <sanitizer/tsan_interface.h>
#define FS_TSAN_FIBERS 1
#endif

namespace flashstor::task {
namespace {

thread_local Scheduler* tl_scheduler = nullptr;
thread_local Fiber* tl_fiber = nullptr;

#if FS_ASAN_FIBERS
// The loop thread's own stack, learnt when a fiber first starts; fibers switch back to it.
thread_local const void* tl_loop_stack_bottom = nullptr;
thread_local size_t tl_loop_stack_size = 0;
#endif

}  // namespace

Fiber* CurrentFiber() {
  return tl_fiber;
}

void SetMemoryWaitHook(MemoryWaitHook* hook) {
  if (tl_fiber != nullptr) tl_fiber->memory_wait_hook_ = hook;
}

MemoryWaitHook* CurrentMemoryWaitHook() {
  return tl_fiber != nullptr ? tl_fiber->memory_wait_hook_ : nullptr;
}

Scheduler* Scheduler::current() {
  return tl_scheduler;
}

Waker PrepareWait() {
  Fiber* f = tl_fiber;
  if (f == nullptr) return {};
  return Waker{f, Fiber::Gen(f->word_.load(std::memory_order_acquire))};
}

void Waker::wake() const {
  if (fiber == nullptr) return;
  Fiber* f = fiber;
  uint64_t word = f->word_.load(std::memory_order_acquire);
  for (;;) {
    if (Fiber::Gen(word) != gen) return;  // an earlier park's waker
    ParkState st = Fiber::State(word);
    if (st == ParkState::kWoken || st == ParkState::kTimedOut) return;
    if (f->word_.compare_exchange_weak(word, Fiber::Word(gen, ParkState::kWoken),
                                       std::memory_order_acq_rel)) {
      if (st == ParkState::kParked) f->scheduler_->make_ready(f);
      return;
    }
  }
}

Scheduler::Scheduler(SchedulerOptions options, std::function<void()> wake_loop)
    : options_(options),
      wake_loop_(std::move(wake_loop)),
      stacks_(options.stack_bytes, options.max_cached_stacks) {}

Scheduler::~Scheduler() {
  if (tl_scheduler == this) tl_scheduler = nullptr;
  for (auto& f : all_) {
    if (f->stack_.base != nullptr) stacks_.release(f->stack_);
#if FS_TSAN_FIBERS
    if (f->sanitizer_fiber_ != nullptr) __tsan_destroy_fiber(f->sanitizer_fiber_);
#endif
  }
}

void Scheduler::attach() {
  tl_scheduler = this;
#if FS_TSAN_FIBERS
  loop_sanitizer_fiber_ = __tsan_get_current_fiber();
#endif
}

void FiberEntry() {
  Scheduler* s = tl_scheduler;
  Fiber* f = s->running_;
#if FS_ASAN_FIBERS
  __sanitizer_finish_switch_fiber(nullptr, &tl_loop_stack_bottom, &tl_loop_stack_size);
#endif
  try {
    f->fn_();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "flashstor: uncaught exception in a request task: %s\n", e.what());
    std::abort();
  }
  f->fn_ = nullptr;  // its captures die on this stack, before the stack is reused
  f->finished_ = true;
  s->switch_out(f);  // never comes back
  std::abort();
}

Fiber* Scheduler::new_fiber() {
  Fiber* f = nullptr;
  if (!free_fibers_.empty()) {
    f = free_fibers_.back();
    free_fibers_.pop_back();
  } else {
    all_.push_back(std::make_unique<Fiber>());
    f = all_.back().get();
    f->scheduler_ = this;
#if FS_TSAN_FIBERS
    f->sanitizer_fiber_ = __tsan_create_fiber(0);
#endif
  }
  return f;
}

void Scheduler::recycle(Fiber* f) {
  stacks_.release(f->stack_);
  f->stack_ = Stack{};
  f->finished_ = false;
  f->parking_ = false;
  f->memory_wait_hook_ = nullptr;
  // A new generation: wakers of the finished task can never reach the next one.
  uint64_t gen = Fiber::Gen(f->word_.load(std::memory_order_relaxed));
  f->word_.store(Fiber::Word(gen + 1, ParkState::kRunning), std::memory_order_release);
  free_fibers_.push_back(f);
  --live_;
}

bool Scheduler::spawn(std::function<void()> fn) {
  Fiber* f = new_fiber();
  if (!stacks_.acquire(f->stack_)) {
    free_fibers_.push_back(f);
    return false;
  }
  f->fn_ = std::move(fn);
  f->context_.make(f->stack_.bottom(), f->stack_.usable(), FiberEntry);
  ++live_;
  ready_.push_back(f);
  return true;
}

void Scheduler::switch_to(Fiber* f) {
  running_ = f;
  tl_fiber = f;
#if FS_ASAN_FIBERS
  void* fake = nullptr;
  __sanitizer_start_switch_fiber(&fake, f->stack_.bottom(), f->stack_.usable());
#endif
#if FS_TSAN_FIBERS
  __tsan_switch_to_fiber(f->sanitizer_fiber_, 0);
#endif
  Context::Switch(loop_context_, f->context_);
#if FS_ASAN_FIBERS
  __sanitizer_finish_switch_fiber(fake, nullptr, nullptr);
#endif
  running_ = nullptr;
  tl_fiber = nullptr;
}

void Scheduler::switch_out(Fiber* f) {
#if FS_ASAN_FIBERS
  __sanitizer_start_switch_fiber(f->finished_ ? nullptr : &f->asan_fake_stack_,
                                 tl_loop_stack_bottom, tl_loop_stack_size);
#endif
#if FS_TSAN_FIBERS
  __tsan_switch_to_fiber(loop_sanitizer_fiber_, 0);
#endif
  Context::Switch(f->context_, loop_context_);
#if FS_ASAN_FIBERS
  __sanitizer_finish_switch_fiber(f->asan_fake_stack_, &tl_loop_stack_bottom, &tl_loop_stack_size);
#endif
}

void Scheduler::make_ready(Fiber* f) {
  if (tl_scheduler == this) {
    ready_.push_back(f);
    return;
  }
  bool was_empty;
  {
    std::lock_guard<std::mutex> lock(remote_mu_);
    was_empty = remote_.empty();
    remote_.push_back(f);
  }
  if (was_empty && wake_loop_) wake_loop_();
}

void Scheduler::run_ready() {
  for (;;) {
    {
      std::lock_guard<std::mutex> lock(remote_mu_);
      for (Fiber* f : remote_) ready_.push_back(f);
      remote_.clear();
    }
    if (ready_.empty()) return;
    // Runs what is queued now; fibers queued meanwhile wait for the next round.
    size_t n = ready_.size();
    while (n-- > 0) {
      Fiber* f = ready_.front();
      ready_.pop_front();
      switch_to(f);
      if (f->finished_) {
        recycle(f);
        continue;
      }
      if (!f->parking_) {
        ready_.push_back(f);  // yielded
        continue;
      }
      f->parking_ = false;
      uint64_t word = f->word_.load(std::memory_order_acquire);
      for (;;) {
        if (Fiber::State(word) != ParkState::kRunning) {
          ready_.push_back(f);  // woken (or timed out) before it got to park
          break;
        }
        if (f->word_.compare_exchange_weak(word, Fiber::Word(Fiber::Gen(word), ParkState::kParked),
                                           std::memory_order_acq_rel)) {
          break;
        }
      }
    }
  }
}

void Scheduler::fire_timers(int64_t now_ms) {
  while (!timers_.empty() && timers_.begin()->first <= now_ms) {
    Fiber* f = timers_.begin()->second;
    timers_.erase(timers_.begin());
    f->has_timer_ = false;
    uint64_t word = f->word_.load(std::memory_order_acquire);
    for (;;) {
      ParkState st = Fiber::State(word);
      if (st == ParkState::kWoken || st == ParkState::kTimedOut) break;
      if (f->word_.compare_exchange_weak(word, Fiber::Word(Fiber::Gen(word), ParkState::kTimedOut),
                                         std::memory_order_acq_rel)) {
        if (st == ParkState::kParked) ready_.push_back(f);
        break;
      }
    }
  }
}

int Scheduler::next_timeout_ms(int64_t now_ms) const {
  if (!ready_.empty()) return 0;
  if (timers_.empty()) return -1;
  int64_t left = timers_.begin()->first - now_ms;
  if (left <= 0) return 0;
  return left > (1 << 30) ? (1 << 30) : static_cast<int>(left);
}

bool Park(const Waker& waker, int64_t deadline_ms) {
  Fiber* f = waker.fiber;
  Scheduler& s = *f->scheduler_;
  if (deadline_ms > 0) {
    f->timer_ = s.timers_.emplace(deadline_ms, f);
    f->has_timer_ = true;
  }
  f->parking_ = true;
  s.switch_out(f);
  if (f->has_timer_) {
    s.timers_.erase(f->timer_);
    f->has_timer_ = false;
  }
  uint64_t word = f->word_.load(std::memory_order_acquire);
  const ParkState st = Fiber::State(word);
  f->word_.store(Fiber::Word(Fiber::Gen(word) + 1, ParkState::kRunning), std::memory_order_release);
  return st == ParkState::kWoken;
}

void Yield() {
  Fiber* f = tl_fiber;
  if (f == nullptr) return;
  f->parking_ = false;
  f->scheduler_->switch_out(f);
}

}  // namespace flashstor::task
