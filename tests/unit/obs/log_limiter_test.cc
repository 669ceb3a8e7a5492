// Unit tests of LogLimiter: one line per interval, the held-back lines counted, and exactly one
// line let through per window when many threads race for it.
#include "flashstor/obs/log_limiter.h"

#include <atomic>
#include <thread>
#include <vector>

#include "cmocka_cpp.h"

using flashstor::obs::LogLimiter;
using namespace std::chrono_literals;

namespace {

void test_one_line_per_interval(void**) {
  LogLimiter limiter(200ms);
  auto first = limiter.admit();
  assert_true(first.has_value());
  assert_int_equal(*first, 0);
  for (int i = 0; i < 5; ++i) assert_false(limiter.admit().has_value());
  std::this_thread::sleep_for(250ms);
  auto next = limiter.admit();
  assert_true(next.has_value());
  assert_int_equal(*next, 5);  // the five held back since the first
  assert_false(limiter.admit().has_value());
}

void test_racing_threads_let_one_through(void**) {
  LogLimiter limiter(10s);
  std::atomic<int> passed{0};
  std::atomic<int> held{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) {
        if (limiter.admit()) {
          passed.fetch_add(1);
        } else {
          held.fetch_add(1);
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  assert_int_equal(passed.load(), 1);
  assert_int_equal(held.load(), 79999);
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_one_line_per_interval),
      cmocka_unit_test(test_racing_threads_let_one_through),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
