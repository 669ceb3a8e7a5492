// Unit tests for obs::MetricsRegistry: series identity, histogram buckets, exposition text
// (escaping, ordering) validated by promtool, gauge callbacks and process gauges.
#include <cmath>
#include <string>
#include <thread>
#include <vector>

#include "flashstor/obs/metrics.h"
#include "flashstor/obs/process_metrics.h"
#include "promtool_check.h"

// cmocka needs these C headers first, has no extern "C" of its own, and comes after the C++
// headers (its macros clash with <ios>).
#include "cmocka_cpp.h"

#define AssertNoProblems(text) assert_string_equal(PromtoolProblems(text).c_str(), "")

using namespace flashstor::obs;

static bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

static void test_series_are_stable_and_shared(void**) {
  MetricsRegistry reg;
  Counter& a = reg.counter("t_requests_total", {{"op", "Put"}, {"status", "200"}}, "Requests.");
  Counter& b = reg.counter("t_requests_total", {{"status", "200"}, {"op", "Put"}});  // reordered
  Counter& c = reg.counter("t_requests_total", {{"op", "Get"}, {"status", "200"}});
  assert_ptr_equal(&a, &b);
  assert_ptr_not_equal(&a, &c);
  a.inc();
  b.inc(41);
  assert_int_equal(a.value(), 42);
  assert_int_equal(c.value(), 0);
  // Same name, another type: a detached series, never rendered, no crash.
  Gauge& g = reg.gauge("t_requests_total", {}, "wrong type");
  g.set(5);
  const std::string text = reg.render();
  assert_true(Contains(text, "# HELP t_requests_total Requests.\n"));
  assert_true(Contains(text, "# TYPE t_requests_total counter\n"));
  assert_true(Contains(text, "t_requests_total{op=\"Put\",status=\"200\"} 42\n"));
  assert_true(Contains(text, "t_requests_total{op=\"Get\",status=\"200\"} 0\n"));
  assert_false(Contains(text, " 5\n"));
  AssertNoProblems(text);
}

static void test_histogram_buckets(void**) {
  MetricsRegistry reg;
  const double bounds[] = {0.1, 0.5, 1};
  Histogram& h = reg.histogram("t_latency_seconds", {{"op", "Get"}}, bounds, "Latency.");
  h.observe(0.05);
  h.observe(0.1);  // le is inclusive
  h.observe(0.7);
  h.observe(3);
  const auto counts = h.cumulative_counts();
  assert_int_equal(counts.size(), 4);
  assert_int_equal(counts[0], 2);
  assert_int_equal(counts[1], 2);
  assert_int_equal(counts[2], 3);
  assert_int_equal(counts[3], 4);
  assert_true(std::fabs(h.sum() - 3.85) < 1e-9);
  const std::string text = reg.render();
  assert_true(Contains(text, "# TYPE t_latency_seconds histogram\n"));
  assert_true(Contains(text, "t_latency_seconds_bucket{op=\"Get\",le=\"0.1\"} 2\n"));
  assert_true(Contains(text, "t_latency_seconds_bucket{op=\"Get\",le=\"1\"} 3\n"));
  assert_true(Contains(text, "t_latency_seconds_bucket{op=\"Get\",le=\"+Inf\"} 4\n"));
  assert_true(Contains(text, "t_latency_seconds_sum{op=\"Get\"} 3.85\n"));
  assert_true(Contains(text, "t_latency_seconds_count{op=\"Get\"} 4\n"));
  // Unsorted / non-finite bounds are cleaned rather than rendered invalid.
  const double bad[] = {1, 0.5, INFINITY, 2};
  Histogram& h2 = reg.histogram("t_other_seconds", {}, bad, "Other.");
  assert_int_equal(h2.bounds().size(), 2);
  AssertNoProblems(reg.render());
}

static void test_escaping_and_names(void**) {
  MetricsRegistry reg;
  reg.counter("t_escaped_total", {{"key", "a\"b\\c\nd"}}, "Help with \\ and\nnewline.").inc();
  reg.counter("t-bad.name_total", {{"bad-label", "v"}}, "Sanitised.").inc(2);
  const std::string text = reg.render();
  assert_true(Contains(text, "t_escaped_total{key=\"a\\\"b\\\\c\\nd\"} 1\n"));
  assert_true(Contains(text, "# HELP t_escaped_total Help with \\\\ and\\nnewline.\n"));
  assert_true(Contains(text, "t_bad_name_total{bad_label=\"v\"} 2\n"));
  AssertNoProblems(text);
}

static void test_gauges_and_callbacks(void**) {
  MetricsRegistry reg;
  Gauge& g = reg.gauge("t_queue_length", {}, "Queue length.");
  g.set(3);
  g.add(-1.5);
  assert_true(g.value() == 1.5);
  int calls = 0;
  reg.gauge_fn("t_heal_queue", "Heal queue.", {{"set", "0"}}, [&calls] {
    ++calls;
    return 7.0;
  });
  RegisterProcessMetrics(reg);
  const std::string text = reg.render();
  assert_int_equal(calls, 1);  // evaluated at scrape time
  assert_true(Contains(text, "t_queue_length 1.5\n"));
  assert_true(Contains(text, "t_heal_queue{set=\"0\"} 7\n"));
  assert_true(Contains(text, "# TYPE process_open_fds gauge\n"));
  assert_true(Contains(text, "process_resident_memory_bytes "));
  AssertNoProblems(text);
  reg.render();
  assert_int_equal(calls, 2);
}

static void test_process_readers(void**) {
  auto rss = ReadResidentBytes();
  assert_true(rss.has_value());
  assert_true(*rss > 100 * 1024);
  auto fds = CountOpenFds();
  assert_true(fds.has_value());
  const uint64_t before = *fds;
  const int fd = dup(1);
  assert_true(fd >= 0);
  assert_int_equal(*CountOpenFds(), before + 1);
  close(fd);
}

static void test_concurrent_counting(void**) {
  MetricsRegistry reg;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&reg] {
      Counter& c = reg.counter("t_parallel_total", {{"x", "y"}}, "Parallel.");
      for (int i = 0; i < 100000; ++i) c.inc();
    });
  }
  for (auto& t : threads) t.join();
  assert_int_equal(reg.counter("t_parallel_total", {{"x", "y"}}).value(), 400000);
}

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_series_are_stable_and_shared),
      cmocka_unit_test(test_histogram_buckets),
      cmocka_unit_test(test_escaping_and_names),
      cmocka_unit_test(test_gauges_and_callbacks),
      cmocka_unit_test(test_process_readers),
      cmocka_unit_test(test_concurrent_counting),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
