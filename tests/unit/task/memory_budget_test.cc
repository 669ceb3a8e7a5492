// Unit tests of task::MemoryBudget: grants add up to the capacity, a waiter gets its grant when
// another is released (a fiber parks meanwhile, its loop keeps running), waits time out, and an
// oversized request is taken as the whole budget.
#include "cmocka_cpp.h"

#include <atomic>
#include <chrono>
#include <memory>
#include <thread>

#include "flashstor/task/memory_budget.h"
#include "flashstor/task/memory_wait.h"
#include "loop_driver.h"

namespace task = flashstor::task;
using namespace std::chrono_literals;

namespace {

void test_grants_add_up(void**) {
  task::MemoryBudget b(100);
  task::MemoryBudget::Grant g1, g2, g3;
  assert_true(b.try_acquire(60, g1));
  assert_true(b.try_acquire(40, g2));
  assert_false(b.try_acquire(1, g3));
  assert_int_equal(b.in_use(), 100);
  g1.release();
  assert_int_equal(b.in_use(), 40);
  assert_true(b.try_acquire(60, g3));
  // More than the capacity: the whole budget, once it is free.
  task::MemoryBudget small(10);
  task::MemoryBudget::Grant big;
  assert_true(small.acquire(1000, 10ms, big));
  assert_int_equal(big.bytes(), 10);
}

void test_wait_times_out(void**) {
  task::MemoryBudget b(10);
  task::MemoryBudget::Grant held, waiting;
  assert_true(b.try_acquire(10, held));
  auto t0 = std::chrono::steady_clock::now();
  assert_false(b.acquire(5, 50ms, waiting));
  assert_true(std::chrono::steady_clock::now() - t0 >= 50ms);
  assert_int_equal(b.timeouts(), 1);
  assert_int_equal(waiting.bytes(), 0);
}

// A fiber waiting for memory parks: another fiber on the same loop runs and frees it.
void test_fiber_waits_without_blocking_its_loop(void**) {
  task::MemoryBudget b(10);
  std::atomic<bool> got{false};
  test::LoopDriver loop;
  auto held = std::make_shared<task::MemoryBudget::Grant>();
  assert_true(b.try_acquire(10, *held));
  loop.spawn([&] {
    task::MemoryBudget::Grant g;
    got = b.acquire(10, 5000ms, g);
  });
  loop.spawn([held] { held->release(); });
  assert_true(loop.drain(5000));
  assert_true(got.load());
  assert_int_equal(b.in_use(), 0);
  assert_int_equal(b.waits(), 1);
}

// Counts the hook's calls; lends its place only while `lend` is set.
class CountingHook final : public task::MemoryWaitHook {
 public:
  bool waiting_for_memory() override {
    ++waits;
    return lend;
  }
  void done_waiting() override { ++dones; }
  bool lend = true;
  int waits = 0;
  int dones = 0;
};

// A fiber's hook hears of a wait for memory (and of its end, granted or timed out) only when
// the fiber has to park; threads and fibers without a hook are not affected; a hook that does
// not lend hears nothing more.
void test_wait_hook(void**) {
  task::MemoryBudget b(10);
  CountingHook hook;
  test::LoopDriver loop;
  auto held = std::make_shared<task::MemoryBudget::Grant>();
  bool got = false, timed_out = false, quick = false;
  loop.spawn([&] {
    task::SetMemoryWaitHook(&hook);
    task::MemoryBudget::Grant g;
    quick = b.acquire(4, 1000ms, g);  // fits: no wait, no call
    g.release();
    assert_true(b.try_acquire(10, *held));
    got = b.acquire(10, 5000ms, g);  // parks until the other fiber releases
    g.release();
    assert_true(b.try_acquire(10, *held));
    timed_out = !b.acquire(10, 20ms, g);
    hook.lend = false;
    (void)b.acquire(10, 20ms, g);
  });
  loop.spawn([held] { held->release(); });
  assert_true(loop.drain(5000));
  assert_true(quick && got && timed_out);
  assert_int_equal(hook.waits, 3);
  assert_int_equal(hook.dones, 2);
  task::SetMemoryWaitHook(&hook);  // on a thread: ignored
  assert_null(task::CurrentMemoryWaitHook());
}

}  // namespace

int main() {
  const CMUnitTest tests[] = {
      cmocka_unit_test(test_grants_add_up),
      cmocka_unit_test(test_wait_times_out),
      cmocka_unit_test(test_fiber_waits_without_blocking_its_loop),
      cmocka_unit_test(test_wait_hook),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
