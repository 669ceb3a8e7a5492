// Unit tests of task::Condition: fibers on two loops and plain threads waiting on one
// condition (a bounded counter handed around), and wait_for timeouts for both kinds.
#include "cmocka_cpp.h"

#include <atomic>
#include <thread>
#include <vector>

#include "flashstor/task/condition.h"
#include "loop_driver.h"

namespace task = flashstor::task;
using namespace std::chrono_literals;

namespace {

// Producers and consumers of a one-slot mailbox, mixed fibers and threads: every item is
// consumed exactly once and nobody sleeps through a notify (a lost wake-up hangs the test
// past its 1 s waits and fails the count).
void test_mixed_waiters_stress(void**) {
  std::mutex mu;
  task::Condition cond;
  int slot = 0;  // 0: empty
  long long consumed_sum = 0;
  int consumed = 0;
  constexpr int kPerProducer = 2000;
  auto produce = [&](int base) {
    for (int i = 1; i <= kPerProducer; ++i) {
      std::unique_lock<std::mutex> lock(mu);
      bool ok = cond.wait_for(lock, 10'000ms, [&] { return slot == 0; });
      if (!ok) return;
      slot = base + i;
      cond.notify_all();
    }
  };
  auto consume = [&](int count) {
    for (int i = 0; i < count; ++i) {
      std::unique_lock<std::mutex> lock(mu);
      bool ok = cond.wait_for(lock, 10'000ms, [&] { return slot != 0; });
      if (!ok) return;
      consumed_sum += slot;
      ++consumed;
      slot = 0;
      cond.notify_all();
    }
  };
  {
    test::LoopDriver a, b;
    a.spawn([&] { produce(0); });
    b.spawn([&] { produce(100'000); });
    a.spawn([&] { consume(kPerProducer); });
    std::thread t1([&] { produce(200'000); });
    std::thread t2([&] { consume(kPerProducer); });
    b.spawn([&] { consume(kPerProducer); });
    t1.join();
    t2.join();
    assert_true(a.drain(30'000));
    assert_true(b.drain(30'000));
  }
  assert_int_equal(consumed, 3 * kPerProducer);
  long long expect = 0;
  for (int base : {0, 100'000, 200'000}) {
    for (int i = 1; i <= kPerProducer; ++i) expect += base + i;
  }
  assert_true(consumed_sum == expect);
}

void test_wait_for_timeout(void**) {
  std::mutex mu;
  task::Condition cond;
  std::atomic<bool> fiber_result{true};
  std::atomic<int64_t> fiber_waited{0};
  test::LoopDriver loop;
  loop.spawn([&] {
    std::unique_lock<std::mutex> lock(mu);
    int64_t t0 = test::NowMs();
    fiber_result = cond.wait_for(lock, 60ms, [] { return false; });
    fiber_waited = test::NowMs() - t0;
  });
  std::unique_lock<std::mutex> lock(mu);
  bool thread_result = cond.wait_for(lock, 30ms, [] { return false; });
  lock.unlock();
  assert_true(loop.drain(5000));
  assert_false(thread_result);
  assert_false(fiber_result.load());
  assert_true(fiber_waited.load() >= 60);
}

// A fiber parked on a condition leaves its loop free: another fiber on the same loop runs and
// releases it.
void test_fiber_wait_does_not_block_loop(void**) {
  std::mutex mu;
  task::Condition cond;
  bool flag = false;
  std::atomic<bool> woke{false};
  test::LoopDriver loop;
  loop.spawn([&] {
    std::unique_lock<std::mutex> lock(mu);
    woke = cond.wait_for(lock, 5000ms, [&] { return flag; });
  });
  loop.spawn([&] {
    std::lock_guard<std::mutex> lock(mu);
    flag = true;
    cond.notify_one();
  });
  assert_true(loop.drain(5000));
  assert_true(woke.load());
}

}  // namespace

int main() {
  const CMUnitTest tests[] = {
      cmocka_unit_test(test_mixed_waiters_stress),
      cmocka_unit_test(test_wait_for_timeout),
      cmocka_unit_test(test_fiber_wait_does_not_block_loop),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
