// task_switch_bench: what handing work between a request and the place that runs it costs.
// (1) a fiber yield round trip on one loop thread (two context switches), (2) a fiber parked
// and woken from another thread (the I/O pool completing a task: queue + eventfd-style wake),
// (3) the thread-pool hand-off the fibers replaced (condition variable ping-pong between two
// threads, one futex wake each way). Prints nanoseconds per round trip; asserts nothing.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <thread>

#include "flashstor/task/fiber.h"
#include "flashstor/task/scheduler.h"

namespace task = flashstor::task;
using Clock = std::chrono::steady_clock;

namespace {

double NsPer(Clock::time_point t0, int n) {
  return std::chrono::duration<double, std::nano>(Clock::now() - t0).count() / n;
}

// CPU time of this thread: the same-thread figure stays meaningful on a loaded machine.
double ThreadCpuNs() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e9 + static_cast<double>(ts.tv_nsec);
}

double FiberYield(int n) {
  task::Scheduler s({}, nullptr);
  s.attach();
  s.spawn([n] {
    for (int i = 0; i < n; ++i) task::Yield();
  });
  const double t0 = ThreadCpuNs();
  s.run_ready();
  return (ThreadCpuNs() - t0) / n;
}

// The loop thread sleeps on a condition variable standing in for epoll + eventfd.
double FiberRemoteWake(int n) {
  std::mutex mu;
  std::condition_variable cv;
  bool signalled = false;
  task::Scheduler s({}, [&] {
    std::lock_guard<std::mutex> lock(mu);
    signalled = true;
    cv.notify_one();
  });
  std::atomic<uint64_t> pending{0};  // Waker packed as (present) + generation seen by waker
  std::atomic<task::Fiber*> fiber{nullptr};
  std::atomic<uint64_t> gen{0};
  std::atomic<bool> done{false};
  std::thread waker([&] {
    uint64_t served = 0;
    while (!done.load()) {
      if (pending.load(std::memory_order_acquire) > served) {
        ++served;
        task::Waker{fiber.load(), gen.load()}.wake();
      }
    }
  });
  s.attach();
  s.spawn([&] {
    for (int i = 0; i < n; ++i) {
      task::Waker w = task::PrepareWait();
      fiber = w.fiber;
      gen = w.gen;
      pending.fetch_add(1, std::memory_order_release);
      task::Park(w, 0);
    }
    done = true;
  });
  auto t0 = Clock::now();
  while (s.live() > 0) {
    s.run_ready();
    std::unique_lock<std::mutex> lock(mu);
    cv.wait_for(lock, std::chrono::milliseconds(1), [&] { return signalled || s.live() == 0; });
    signalled = false;
  }
  double ns = NsPer(t0, n);
  done = true;
  waker.join();
  return ns;
}

double ThreadHandOff(int n) {
  std::mutex mu;
  std::condition_variable cv;
  int turn = 0;  // 0: worker's turn, 1: caller's
  std::thread worker([&] {
    for (int i = 0; i < n; ++i) {
      std::unique_lock<std::mutex> lock(mu);
      cv.wait(lock, [&] { return turn == 0; });
      turn = 1;
      cv.notify_all();
    }
  });
  auto t0 = Clock::now();
  for (int i = 0; i < n; ++i) {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return turn == 1; });
    turn = 0;
    cv.notify_all();
  }
  double ns = NsPer(t0, n);
  worker.join();
  return ns;
}

}  // namespace

int main() {
  const int n = 200'000;
  std::printf("fiber yield round trip (same thread, CPU): %8.0f ns\n", FiberYield(n));
  std::printf("fiber park + wake from another thread:    %8.0f ns\n", FiberRemoteWake(n / 4));
  std::printf("thread hand-off (condvar ping-pong):      %8.0f ns\n", ThreadHandOff(n / 4));
  return 0;
}
