// LatencyHistogram: fixed-size log-linear histogram of latencies in nanoseconds (relative error
// under 1/64), so a load run keeps percentiles without storing every sample.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace flashstor::bench {

class LatencyHistogram {
 public:
  static constexpr int kSubBits = 7;                              // values below 2^7 ns are exact
  static constexpr uint64_t kMaxValue = (uint64_t{1} << 40) - 1;  // ~18 min; larger is clamped
  static constexpr size_t kBuckets = (size_t{1} << kSubBits) + (40 - kSubBits) * 64;

  // Records one latency; values above kMaxValue count as kMaxValue (max() keeps the truth).
  void record(uint64_t ns);
  // Adds every sample of `other` (per-thread histograms merged at the end of a run).
  void merge(const LatencyHistogram& other);

  uint64_t count() const { return count_; }
  uint64_t min() const { return count_ == 0 ? 0 : min_; }
  uint64_t max() const { return max_; }
  double mean() const;
  // Smallest bucket bound at or above the p-quantile (0 < p <= 1), never above max(); 0 when
  // empty. p outside (0, 1] is clamped.
  uint64_t percentile(double p) const;

  // Bucket helpers, exposed for tests.
  static size_t BucketOf(uint64_t ns);
  static uint64_t BucketUpper(size_t bucket);

 private:
  std::array<uint64_t, kBuckets> counts_{};
  uint64_t count_ = 0;
  uint64_t min_ = UINT64_MAX;
  uint64_t max_ = 0;
  long double sum_ = 0;
};

}  // namespace flashstor::bench
