// Unit tests of task::CancelToken: cancel() ends a wait registered with a Watch, on a plain
// thread and on a fiber, long before the wait's own timeout; copies share the flag; the park
// hook runs on the owner's fiber only; a token is reusable once no copy is left.
#include "cmocka_cpp.h"

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>

#include "flashstor/task/cancel_token.h"
#include "loop_driver.h"

namespace task = flashstor::task;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

// Waits up to 30 s on cond for a predicate that never holds, unless the token fires.
bool WaitUnlessCancelled(const task::CancelToken& token, std::mutex& mu, task::Condition& cond) {
  task::CancelToken::Watch watch(token, mu, cond);
  std::unique_lock<std::mutex> lock(mu);
  return cond.wait_for(lock, 30'000ms, [&] { return token.cancelled(); });
}

void test_cancel_ends_a_thread_wait(void**) {
  std::mutex mu;
  task::Condition cond;
  task::CancelToken token = task::CancelToken::Make();
  std::thread canceller([copy = token] {
    std::this_thread::sleep_for(50ms);
    copy.cancel();  // a copy shares the flag
  });
  const auto t0 = Clock::now();
  assert_true(WaitUnlessCancelled(token, mu, cond));
  assert_true(Clock::now() - t0 < 1s);
  canceller.join();
  assert_true(token.cancelled());
}

void test_cancel_ends_a_fiber_wait_and_runs_the_owner_hook(void**) {
  std::mutex mu;
  task::Condition cond;
  task::CancelToken token = task::CancelToken::Make();
  std::atomic<int> hooked{0};
  std::atomic<bool> parked{false}, woke{false};
  Clock::time_point t0;
  test::LoopDriver loop;
  loop.spawn([&] {
    token.set_park_hook([](void* arg) { static_cast<std::atomic<int>*>(arg)->fetch_add(1); },
                        &hooked);
    t0 = Clock::now();
    parked = true;
    woke = WaitUnlessCancelled(token, mu, cond);
    token.set_park_hook(nullptr, nullptr);
  });
  while (!parked.load()) std::this_thread::sleep_for(1ms);
  // A wait of another thread does not run the owner's hook.
  std::thread other([&] {
    std::mutex other_mu;
    task::Condition other_cond;
    task::CancelToken::Watch watch(token, other_mu, other_cond);
  });
  other.join();
  std::this_thread::sleep_for(50ms);
  token.cancel();
  assert_true(loop.drain(5000));
  assert_true(woke.load());
  assert_true(Clock::now() - t0 < 2s);
  assert_int_equal(hooked.load(), 1);
}

void test_reuse_only_when_unique(void**) {
  task::CancelToken empty;
  assert_false(empty.valid());
  assert_false(empty.cancelled());
  empty.cancel();  // nothing to cancel
  assert_false(empty.unique());

  task::CancelToken token = task::CancelToken::Make();
  assert_true(token.unique());
  {
    task::CancelToken straggler = token;
    assert_false(token.unique());
    token.cancel();
    assert_true(straggler.cancelled());
  }
  assert_true(token.unique());
  token.reset();
  assert_false(token.cancelled());
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_cancel_ends_a_thread_wait),
      cmocka_unit_test(test_cancel_ends_a_fiber_wait_and_runs_the_owner_hook),
      cmocka_unit_test(test_reuse_only_when_unique),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
