// Metrics registry: counters, gauges (set or evaluated at scrape time) and histograms with
// labels, rendered in the Prometheus text exposition format 0.0.4. Series are created once
// (start-up or first use) and returned by stable reference, so the hot path is one atomic add.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace flashstor::obs {

inline constexpr std::string_view kMetricsContentType = "text/plain; version=0.0.4; charset=utf-8";

struct Label {
  std::string_view name;   // [a-zA-Z_][a-zA-Z0-9_]*; invalid characters become '_'
  std::string_view value;  // any bytes; escaped when rendered
};

class Counter {
 public:
  void inc(uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

class Gauge {
 public:
  void set(double v) { value_.store(v, std::memory_order_relaxed); }
  void add(double v) { value_.fetch_add(v, std::memory_order_relaxed); }
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

// Fixed upper bounds chosen at creation; observe() is a bucket search plus two atomic adds.
class Histogram {
 public:
  explicit Histogram(std::span<const double> bounds);  // sorted ascending, finite
  void observe(double v);
  std::span<const double> bounds() const { return bounds_; }
  // Cumulative counts per bound plus the +Inf bucket last (size bounds().size() + 1).
  std::vector<uint64_t> cumulative_counts() const;
  double sum() const { return sum_.load(std::memory_order_relaxed); }

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> counts_;  // per bucket, not cumulative; last is +Inf
  std::atomic<double> sum_{0};
};

// Latency buckets in seconds, 1 ms .. 60 s.
std::span<const double> DefaultLatencyBuckets();

// Threading: all methods are thread-safe. Creating series and render() take a mutex; the
// returned references are used lock-free and stay valid for the registry's lifetime.
// Misuse never throws or aborts: a name already registered with another type gets a detached
// series that is never rendered.
class MetricsRegistry {
 public:
  MetricsRegistry();
  ~MetricsRegistry();
  MetricsRegistry(const MetricsRegistry&) = delete;
  MetricsRegistry& operator=(const MetricsRegistry&) = delete;

  // help is kept from the first call that gives one (an empty help renders as the name).
  Counter& counter(std::string_view name, std::initializer_list<Label> labels = {},
                   std::string_view help = {});
  Gauge& gauge(std::string_view name, std::initializer_list<Label> labels = {},
               std::string_view help = {});
  // bounds of the first series of a family apply to every series of that family.
  Histogram& histogram(std::string_view name, std::initializer_list<Label> labels,
                       std::span<const double> bounds, std::string_view help = {});
  // A gauge evaluated at every scrape (under the registry mutex: fn must not call back into
  // the registry, must be cheap and thread-safe). Re-registering the same labels replaces fn.
  void gauge_fn(std::string_view name, std::string_view help, std::initializer_list<Label> labels,
                std::function<double()> fn);

  // The text exposition format 0.0.4, families sorted by name.
  std::string render() const;

 private:
  enum class Type { kCounter, kGauge, kHistogram };
  struct Series;
  struct Family;
  Series* series(std::string_view name, Type type, std::initializer_list<Label> labels,
                 std::string_view help, std::span<const double> bounds);

  mutable std::mutex mu_;
  std::map<std::string, std::unique_ptr<Family>, std::less<>> families_;
  std::deque<std::unique_ptr<Series>> detached_;
};

// The process-wide registry every area registers into.
MetricsRegistry& DefaultRegistry();
// DefaultRegistry().render(): the /metrics body (serve with kMetricsContentType).
std::string RenderMetrics();

}  // namespace flashstor::obs
