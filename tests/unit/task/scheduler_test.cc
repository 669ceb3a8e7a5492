// Unit tests of the fiber scheduler: spawn and yield, park woken from another thread, park
// deadlines, stale wakers, wakes that race the park, stack reuse, and switches that make no
// system call.
#include "cmocka_cpp.h"

#include <seccomp.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <thread>
#include <vector>

#include "flashstor/task/context.h"
#include "flashstor/task/fiber.h"
#include "flashstor/task/scheduler.h"
#include "loop_driver.h"

namespace task = flashstor::task;

namespace {

void test_spawn_and_yield(void**) {
  test::LoopDriver loop;
  std::atomic<int> steps{0};
  std::atomic<bool> on_fiber{true};
  for (int i = 0; i < 50; ++i) {
    loop.spawn([&] {
      for (int k = 0; k < 10; ++k) {
        if (task::CurrentFiber() == nullptr) on_fiber = false;
        ++steps;
        task::Yield();
      }
    });
  }
  assert_true(loop.drain(5000));
  assert_int_equal(steps.load(), 500);
  assert_true(on_fiber.load());
  assert_null(task::CurrentFiber());  // this thread is no fiber
}

void test_park_woken_from_other_thread(void**) {
  test::LoopDriver loop;
  std::atomic<bool> parked{false}, result{false};
  task::Waker waker;
  std::mutex mu;
  loop.spawn([&] {
    {
      std::lock_guard<std::mutex> lock(mu);
      waker = task::PrepareWait();
    }
    parked = true;
    result = task::Park(waker, test::NowMs() + 10'000);
  });
  while (!parked.load()) std::this_thread::yield();
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  {
    std::lock_guard<std::mutex> lock(mu);
    waker.wake();
  }
  assert_true(loop.drain(5000));
  assert_true(result.load());
}

void test_park_deadline(void**) {
  test::LoopDriver loop;
  std::atomic<bool> result{true};
  std::atomic<int64_t> waited{0};
  loop.spawn([&] {
    int64_t t0 = test::NowMs();
    result = task::Park(task::PrepareWait(), t0 + 50);
    waited = test::NowMs() - t0;
  });
  assert_true(loop.drain(5000));
  assert_false(result.load());
  assert_true(waited.load() >= 50);
  assert_true(waited.load() < 2000);
}

// A waker kept from an earlier park must not end a later one.
void test_stale_waker(void**) {
  test::LoopDriver loop;
  std::atomic<bool> second{true};
  loop.spawn([&] {
    task::Waker first = task::PrepareWait();
    first.wake();  // woken before parking: returns at once
    bool r1 = task::Park(first, test::NowMs() + 5000);
    first.wake();  // stale now
    task::Waker w2 = task::PrepareWait();
    second = task::Park(w2, test::NowMs() + 50);  // must time out
    (void)r1;
  });
  assert_true(loop.drain(5000));
  assert_false(second.load());
}

// Wakes fired from another thread while the fiber is between PrepareWait and the switch out:
// every one must be seen, none lost (the fiber would then sleep until its long deadline).
void test_wake_races_park(void**) {
  test::LoopDriver loop;
  constexpr int kRounds = 2000;
  std::atomic<int> done{0}, timeouts{0};
  std::mutex mu;
  std::vector<task::Waker> pending;
  std::atomic<bool> stop{false};
  std::thread waker_thread([&] {
    while (!stop.load()) {
      std::vector<task::Waker> take;
      {
        std::lock_guard<std::mutex> lock(mu);
        take.swap(pending);
      }
      for (auto& w : take) w.wake();
    }
  });
  loop.spawn([&] {
    for (int i = 0; i < kRounds; ++i) {
      task::Waker w = task::PrepareWait();
      {
        std::lock_guard<std::mutex> lock(mu);
        pending.push_back(w);
      }
      if (!task::Park(w, test::NowMs() + 2000)) ++timeouts;
      ++done;
    }
  });
  bool drained = loop.drain(30000);
  stop = true;
  waker_thread.join();
  assert_true(drained);
  assert_int_equal(done.load(), kRounds);
  assert_int_equal(timeouts.load(), 0);
}

void test_stacks_are_reused(void**) {
  task::Scheduler s({.stack_bytes = 64 * 1024, .max_cached_stacks = 4}, nullptr);
  s.attach();
  int ran = 0;
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < 4; ++i) assert_true(s.spawn([&ran] { ++ran; }));
    s.run_ready();
    assert_int_equal(s.live(), 0);
    assert_int_equal(s.cached_stacks(), 4);
  }
  assert_int_equal(ran, 12);
  // Released at an idle trim: none kept, and the next tasks map stacks of their own.
  s.release_cached_stacks();
  assert_int_equal(s.cached_stacks(), 0);
  for (int i = 0; i < 2; ++i) assert_true(s.spawn([&ran] { ++ran; }));
  s.run_ready();
  assert_int_equal(ran, 14);
  assert_int_equal(s.cached_stacks(), 2);
}

// A switch between a fiber and its loop saves registers only: glibc's swapcontext made a
// sigprocmask system call each way, 90 ns to 1 µs apiece on this project's VMs, three a
// small GET. A child process whose seccomp filter kills it on rt_sigprocmask runs fibers that
// yield and park; it must exit cleanly.
void test_switches_make_no_system_call(void**) {
  if (task::Context::UsesUcontext()) {
    std::printf("skipped: the x86 shadow stack is on, so switches go through ucontext\n");
    skip();
  }
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    task::Scheduler s({.stack_bytes = 64 * 1024, .max_cached_stacks = 8}, nullptr);
    s.attach();
    int steps = 0;
    for (int i = 0; i < 8; ++i) {
      s.spawn([&steps] {
        for (int k = 0; k < 100; ++k) {
          task::Yield();
          task::Waker w = task::PrepareWait();
          w.wake();  // from this fiber: Park sees the wake and returns at once
          if (task::Park(w, 0)) ++steps;
        }
      });
    }
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
    if (ctx == nullptr ||
        seccomp_rule_add(ctx, SCMP_ACT_KILL_PROCESS, SCMP_SYS(rt_sigprocmask), 0) != 0 ||
        seccomp_load(ctx) != 0) {
      _exit(3);
    }
    s.run_ready();
    _exit(s.live() == 0 && steps == 800 ? 0 : 1);
  }
  int status = 0;
  assert_int_equal(waitpid(pid, &status, 0), pid);
  if (WIFSIGNALED(status)) std::printf("child killed by signal %d\n", WTERMSIG(status));
  assert_true(WIFEXITED(status));
  assert_int_equal(WEXITSTATUS(status), 0);
}

}  // namespace

int main() {
  const CMUnitTest tests[] = {
      cmocka_unit_test(test_spawn_and_yield),
      cmocka_unit_test(test_park_woken_from_other_thread),
      cmocka_unit_test(test_park_deadline),
      cmocka_unit_test(test_stale_waker),
      cmocka_unit_test(test_wake_races_park),
      cmocka_unit_test(test_stacks_are_reused),
      cmocka_unit_test(test_switches_make_no_system_call),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
