// MetricsRegistry series bookkeeping and Prometheus text rendering (exposition format 0.0.4).
#include "flashstor/obs/metrics.h"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "flashstor/obs/json_string.h"

namespace flashstor::obs {

struct MetricsRegistry::Series {
  std::string labels;  // canonical rendered label pairs, sorted by name, without braces
  std::unique_ptr<Counter> counter;
  std::unique_ptr<Gauge> gauge;
  std::unique_ptr<Histogram> histogram;
  std::function<double()> fn;
};

struct MetricsRegistry::Family {
  Type type;
  std::string help;
  std::vector<double> bounds;
  std::map<std::string, std::unique_ptr<Series>, std::less<>> series;
};

namespace {

constexpr double kLatencyBuckets[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                      0.5,   1,      2.5,   5,    10,    30,   60};

bool NameChar(char c, bool first, bool colon_ok) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_') return true;
  if (c == ':' && colon_ok) return true;
  return !first && c >= '0' && c <= '9';
}

std::string SanitizeName(std::string_view in, bool colon_ok) {
  std::string out;
  if (in.empty()) return "_";
  if (in[0] >= '0' && in[0] <= '9') out.push_back('_');
  for (char c : in) out.push_back(NameChar(c, out.empty(), colon_ok) ? c : '_');
  return out;
}

void AppendEscaped(std::string& out, std::string_view s, bool quote_too) {
  for (char c : s) {
    if (c == '\\') {
      out.append("\\\\");
    } else if (c == '\n') {
      out.append("\\n");
    } else if (c == '"' && quote_too) {
      out.append("\\\"");
    } else {
      out.push_back(c);
    }
  }
}

std::string CanonicalLabels(std::initializer_list<Label> labels) {
  std::vector<Label> sorted(labels);
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const Label& a, const Label& b) { return a.name < b.name; });
  std::string out;
  for (const Label& l : sorted) {
    if (!out.empty()) out.push_back(',');
    out.append(SanitizeName(l.name, false));
    out.append("=\"");
    AppendEscaped(out, l.value, true);
    out.push_back('"');
  }
  return out;
}

void AppendDouble(std::string& out, double v) {
  if (std::isnan(v)) {
    out.append("NaN");
  } else if (std::isinf(v)) {
    out.append(v > 0 ? "+Inf" : "-Inf");
  } else {
    char buf[32];
    auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
    (void)ec;
    out.append(buf, static_cast<size_t>(end - buf));
  }
}

// name{labels[,extra]} value\n
void AppendSample(std::string& out, std::string_view name, std::string_view suffix,
                  std::string_view labels, std::string_view extra) {
  out.append(name).append(suffix);
  if (!labels.empty() || !extra.empty()) {
    out.push_back('{');
    out.append(labels);
    if (!labels.empty() && !extra.empty()) out.push_back(',');
    out.append(extra);
    out.push_back('}');
  }
  out.push_back(' ');
}

void RenderHistogram(std::string& out, const std::string& name, const std::string& labels,
                     const Histogram& h) {
  const std::vector<uint64_t> counts = h.cumulative_counts();
  const auto bounds = h.bounds();
  std::string le;
  for (size_t i = 0; i <= bounds.size(); ++i) {
    le.assign("le=\"");
    if (i < bounds.size()) {
      AppendDouble(le, bounds[i]);
    } else {
      le.append("+Inf");
    }
    le.push_back('"');
    AppendSample(out, name, "_bucket", labels, le);
    AppendUint(out, counts[i]);
    out.push_back('\n');
  }
  AppendSample(out, name, "_sum", labels, {});
  AppendDouble(out, h.sum());
  out.push_back('\n');
  AppendSample(out, name, "_count", labels, {});
  AppendUint(out, counts.back());
  out.push_back('\n');
}

}  // namespace

Histogram::Histogram(std::span<const double> bounds) : bounds_(bounds.begin(), bounds.end()) {
  // Keep only finite, strictly increasing bounds: anything else would render an invalid
  // exposition.
  std::vector<double> clean;
  for (double b : bounds_) {
    if (std::isfinite(b) && (clean.empty() || b > clean.back())) clean.push_back(b);
  }
  bounds_ = std::move(clean);
  counts_ = std::make_unique<std::atomic<uint64_t>[]>(bounds_.size() + 1);
}

void Histogram::observe(double v) {
  const auto it = std::lower_bound(bounds_.begin(), bounds_.end(), v);  // first bound >= v
  counts_[static_cast<size_t>(it - bounds_.begin())].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(v, std::memory_order_relaxed);
}

std::vector<uint64_t> Histogram::cumulative_counts() const {
  std::vector<uint64_t> out(bounds_.size() + 1);
  uint64_t total = 0;
  for (size_t i = 0; i < out.size(); ++i) {
    total += counts_[i].load(std::memory_order_relaxed);
    out[i] = total;
  }
  return out;
}

std::span<const double> DefaultLatencyBuckets() {
  return kLatencyBuckets;
}

MetricsRegistry::MetricsRegistry() = default;
MetricsRegistry::~MetricsRegistry() = default;

MetricsRegistry::Series* MetricsRegistry::series(std::string_view name, Type type,
                                                 std::initializer_list<Label> labels,
                                                 std::string_view help,
                                                 std::span<const double> bounds) {
  const std::string fname = SanitizeName(name, true);
  auto fit = families_.find(fname);
  if (fit == families_.end()) {
    auto fam = std::make_unique<Family>();
    fam->type = type;
    fam->bounds.assign(bounds.begin(), bounds.end());
    fit = families_.emplace(fname, std::move(fam)).first;
  }
  Family& fam = *fit->second;
  if (fam.type != type) {
    detached_.push_back(std::make_unique<Series>());
    return detached_.back().get();
  }
  if (fam.help.empty() && !help.empty()) fam.help.assign(help);
  std::string key = CanonicalLabels(labels);
  auto sit = fam.series.find(key);
  if (sit == fam.series.end()) {
    auto s = std::make_unique<Series>();
    s->labels = key;
    sit = fam.series.emplace(std::move(key), std::move(s)).first;
  }
  return sit->second.get();
}

Counter& MetricsRegistry::counter(std::string_view name, std::initializer_list<Label> labels,
                                  std::string_view help) {
  std::lock_guard<std::mutex> lock(mu_);
  Series* s = series(name, Type::kCounter, labels, help, {});
  if (!s->counter) s->counter = std::make_unique<Counter>();
  return *s->counter;
}

Gauge& MetricsRegistry::gauge(std::string_view name, std::initializer_list<Label> labels,
                              std::string_view help) {
  std::lock_guard<std::mutex> lock(mu_);
  Series* s = series(name, Type::kGauge, labels, help, {});
  if (!s->gauge) s->gauge = std::make_unique<Gauge>();
  return *s->gauge;
}

Histogram& MetricsRegistry::histogram(std::string_view name, std::initializer_list<Label> labels,
                                      std::span<const double> bounds, std::string_view help) {
  std::lock_guard<std::mutex> lock(mu_);
  Series* s = series(name, Type::kHistogram, labels, help, bounds);
  if (!s->histogram) {
    auto fit = families_.find(SanitizeName(name, true));
    const bool same_family = fit != families_.end() && fit->second->type == Type::kHistogram;
    s->histogram = std::make_unique<Histogram>(
        same_family ? fit->second->bounds : std::vector<double>(bounds.begin(), bounds.end()));
  }
  return *s->histogram;
}

void MetricsRegistry::gauge_fn(std::string_view name, std::string_view help,
                               std::initializer_list<Label> labels, std::function<double()> fn) {
  std::lock_guard<std::mutex> lock(mu_);
  Series* s = series(name, Type::kGauge, labels, help, {});
  s->fn = std::move(fn);
}

std::string MetricsRegistry::render() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::string out;
  out.reserve(4096);
  for (const auto& [name, fam] : families_) {
    if (fam->series.empty()) continue;
    out.append("# HELP ").append(name).push_back(' ');
    AppendEscaped(out, fam->help.empty() ? std::string_view(name) : fam->help, false);
    out.append("\n# TYPE ").append(name);
    out.append(fam->type == Type::kCounter ? " counter\n"
               : fam->type == Type::kGauge ? " gauge\n"
                                           : " histogram\n");
    for (const auto& [labels, s] : fam->series) {
      if (s->histogram) {
        RenderHistogram(out, name, labels, *s->histogram);
        continue;
      }
      AppendSample(out, name, {}, labels, {});
      if (s->counter) {
        AppendUint(out, s->counter->value());
      } else if (s->fn) {
        AppendDouble(out, s->fn());
      } else {
        AppendDouble(out, s->gauge ? s->gauge->value() : 0.0);
      }
      out.push_back('\n');
    }
  }
  return out;
}

MetricsRegistry& DefaultRegistry() {
  static MetricsRegistry* registry = new MetricsRegistry();  // never destroyed: used at exit
  return *registry;
}

std::string RenderMetrics() {
  return DefaultRegistry().render();
}

}  // namespace flashstor::obs
