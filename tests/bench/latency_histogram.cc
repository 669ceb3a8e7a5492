// LatencyHistogram: log-linear buckets (exact below 128 ns, then 64 buckets per power of two).
#include "latency_histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace flashstor::bench {
namespace {
constexpr uint64_t kExact = uint64_t{1} << LatencyHistogram::kSubBits;
constexpr int kHalfBits = LatencyHistogram::kSubBits - 1;  // 64 sub-buckets per octave
}  // namespace

size_t LatencyHistogram::BucketOf(uint64_t ns) {
  ns = std::min(ns, kMaxValue);
  if (ns < kExact) return static_cast<size_t>(ns);
  const int msb = 63 - std::countl_zero(ns);
  const int shift = msb - kHalfBits;      // >= 1
  const uint64_t mantissa = ns >> shift;  // in [64, 128)
  return static_cast<size_t>(kExact + static_cast<uint64_t>(shift - 1) * 64 + (mantissa - 64));
}

uint64_t LatencyHistogram::BucketUpper(size_t bucket) {
  if (bucket < kExact) return bucket;
  const uint64_t rel = bucket - kExact;
  const int shift = static_cast<int>(rel / 64) + 1;
  const uint64_t mantissa = 64 + rel % 64;
  return ((mantissa + 1) << shift) - 1;
}

void LatencyHistogram::record(uint64_t ns) {
  ++counts_[BucketOf(ns)];
  ++count_;
  min_ = std::min(min_, ns);
  max_ = std::max(max_, ns);
  sum_ += static_cast<long double>(ns);
}

void LatencyHistogram::merge(const LatencyHistogram& other) {
  for (size_t i = 0; i < kBuckets; ++i) counts_[i] += other.counts_[i];
  count_ += other.count_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
  sum_ += other.sum_;
}

double LatencyHistogram::mean() const {
  return count_ == 0 ? 0.0 : static_cast<double>(sum_ / static_cast<long double>(count_));
}

uint64_t LatencyHistogram::percentile(double p) const {
  if (count_ == 0) return 0;
  if (!(p > 0)) p = 0;
  p = std::min(p, 1.0);
  // Rank of the sample at the p-quantile, 1-based: ceil(p * count), at least 1.
  uint64_t rank = static_cast<uint64_t>(std::ceil(p * static_cast<double>(count_)));
  rank = std::clamp<uint64_t>(rank, 1, count_);
  uint64_t seen = 0;
  for (size_t i = 0; i < kBuckets; ++i) {
    seen += counts_[i];
    if (seen >= rank) return std::max(std::min(BucketUpper(i), max_), min());
  }
  return max_;
}

}  // namespace flashstor::bench
