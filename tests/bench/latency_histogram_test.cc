// Unit tests of LatencyHistogram: bucket bounds, relative error, percentiles, merge, clamping.
#include "latency_histogram.h"

#include "bench_test.h"

using flashstor::bench::LatencyHistogram;

namespace {

void test_exact_below_128(void**) {
  for (uint64_t v = 0; v < 128; ++v) {
    assert_int_equal(LatencyHistogram::BucketOf(v), v);
    assert_int_equal(LatencyHistogram::BucketUpper(v), v);
  }
  assert_int_equal(LatencyHistogram::BucketOf(128), 128);
  assert_int_equal(LatencyHistogram::BucketOf(129), 128);  // 2 ns wide from here
  assert_int_equal(LatencyHistogram::BucketOf(130), 129);
}

void test_bucket_bounds_and_error(void**) {
  size_t prev = 0;
  // Walk values geometrically across the whole range.
  for (uint64_t v = 1; v <= LatencyHistogram::kMaxValue; v = v + v / 7 + 1) {
    const size_t b = LatencyHistogram::BucketOf(v);
    assert_true(b < LatencyHistogram::kBuckets);
    assert_true(b >= prev);  // monotonic
    prev = b;
    const uint64_t upper = LatencyHistogram::BucketUpper(b);
    assert_true(upper >= v);
    assert_true(static_cast<double>(upper - v) <= static_cast<double>(v) / 64.0 + 1.0);
    if (b > 0) assert_true(LatencyHistogram::BucketUpper(b - 1) < v);
  }
  assert_int_equal(LatencyHistogram::BucketOf(LatencyHistogram::kMaxValue),
                   LatencyHistogram::kBuckets - 1);
  assert_int_equal(LatencyHistogram::BucketOf(UINT64_MAX), LatencyHistogram::kBuckets - 1);
}

void test_empty(void**) {
  LatencyHistogram h;
  assert_int_equal(h.count(), 0);
  assert_int_equal(h.percentile(0.5), 0);
  assert_int_equal(h.max(), 0);
  assert_int_equal(h.min(), 0);
  assert_true(h.mean() == 0.0);
}

void test_percentiles_uniform(void**) {
  LatencyHistogram h;
  for (uint64_t v = 1; v <= 100000; ++v) h.record(v * 1000);  // 1 us .. 100 ms
  assert_int_equal(h.count(), 100000);
  assert_int_equal(h.min(), 1000);
  assert_int_equal(h.max(), 100000000);
  const struct {
    double p;
    double want;
  } cases[] = {{0.5, 50e6}, {0.9, 90e6}, {0.99, 99e6}, {1.0, 100e6}, {0.00001, 1000}};
  for (const auto& c : cases) {
    const double got = static_cast<double>(h.percentile(c.p));
    assert_true(got >= c.want);                   // never below the true quantile
    assert_true(got <= c.want * (1 + 1.0 / 64));  // within one bucket above it
  }
  assert_true(h.mean() > 50.0e6 && h.mean() < 50.1e6);
}

void test_single_value_and_clamps(void**) {
  LatencyHistogram h;
  h.record(1'000'003);
  // A bucket's upper bound is above the one value: the percentile is clamped to max().
  assert_int_equal(h.percentile(0.5), 1'000'003);
  assert_int_equal(h.percentile(-3), 1'000'003);
  assert_int_equal(h.percentile(7), 1'000'003);
  h.record(UINT64_MAX);  // clamped into the last bucket, max() keeps the truth
  assert_int_equal(h.max(), UINT64_MAX);
  assert_int_equal(h.percentile(1.0), LatencyHistogram::kMaxValue);
}

void test_merge(void**) {
  LatencyHistogram a;
  LatencyHistogram b;
  for (int i = 0; i < 90; ++i) a.record(10);
  for (int i = 0; i < 10; ++i) b.record(5000);
  a.merge(b);
  assert_int_equal(a.count(), 100);
  assert_int_equal(a.min(), 10);
  assert_int_equal(a.max(), 5000);
  assert_int_equal(a.percentile(0.9), 10);
  assert_true(a.percentile(0.91) >= 5000);
  LatencyHistogram empty;
  a.merge(empty);  // merging nothing changes nothing
  assert_int_equal(a.count(), 100);
  assert_int_equal(a.min(), 10);
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_exact_below_128),
      cmocka_unit_test(test_bucket_bounds_and_error),
      cmocka_unit_test(test_empty),
      cmocka_unit_test(test_percentiles_uniform),
      cmocka_unit_test(test_single_value_and_clamps),
      cmocka_unit_test(test_merge),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
