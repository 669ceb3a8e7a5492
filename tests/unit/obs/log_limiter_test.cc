// Unit tests of LogLimiter: one line per interval, the held-back lines counted, exactly one
// line let through per window when many threads race for it, and log() writing that line with
// its SUPPRESSED_BEFORE count.
#include "flashstor/obs/log_limiter.h"

#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <string>
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

// What `fn` writes to stderr (fd 2), through a temporary file.
template <typename Fn>
std::string Stderr(Fn fn) {
  std::fflush(stderr);
  FILE* tmp = std::tmpfile();
  const int saved = dup(2);
  dup2(fileno(tmp), 2);
  fn();
  std::fflush(stderr);
  dup2(saved, 2);
  close(saved);
  std::string out(4096, '\0');
  std::rewind(tmp);
  out.resize(std::fread(out.data(), 1, out.size(), tmp));
  std::fclose(tmp);
  return out;
}

size_t Count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

void test_log_writes_the_admitted_line_with_its_count(void**) {
  namespace obs = flashstor::obs;
  obs::LogInit(obs::Level::kInfo);
  LogLimiter limiter(200ms);
  const std::string first = Stderr([&] {
    for (int i = 0; i < 4; ++i) limiter.log(obs::Level::kInfo, "flood", {{"REMOTE_ADDR", "x"}});
  });
  assert_int_equal(Count(first, "flood"), 1);
  assert_int_equal(Count(first, "SUPPRESSED_BEFORE=0"), 1);
  assert_int_equal(Count(first, "REMOTE_ADDR=x"), 1);
  // A level that is not logged is not counted either.
  (void)Stderr([&] { limiter.log(obs::Level::kDebug, "flood"); });
  std::this_thread::sleep_for(250ms);
  const std::string next = Stderr([&] { limiter.log(obs::Level::kInfo, "flood"); });
  assert_int_equal(Count(next, "SUPPRESSED_BEFORE=3"), 1);
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_one_line_per_interval),
      cmocka_unit_test(test_racing_threads_let_one_through),
      cmocka_unit_test(test_log_writes_the_admitted_line_with_its_count),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
