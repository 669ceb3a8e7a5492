// FormatHuman / FormatJson: ops/s and MiB/s count successful requests only; latencies come
// from the merged histogram (successful requests), errors are listed by status or kind.
#include "load_report.h"

#include <cstdio>

namespace flashstor::bench {
namespace {

constexpr double kMiB = 1024.0 * 1024.0;

double Ms(uint64_t ns) {
  return static_cast<double>(ns) / 1e6;
}

double PerSecond(double v, double secs) {
  return secs > 0 ? v / secs : 0;
}

}  // namespace

std::string FormatHuman(const Options& o, const RunStats& s, double elapsed_s) {
  const LatencyHistogram& h = s.latency;
  char buf[512];
  std::snprintf(buf, sizeof(buf),
                "%s size=%llu conc=%d %.1fs: %llu ok, %.1f ops/s, %.2f MiB/s, latency ms "
                "p50 %.3f p90 %.3f p99 %.3f max %.3f, errors %llu",
                std::string(OpName(o.op)).c_str(), static_cast<unsigned long long>(o.size),
                o.concurrency, elapsed_s, static_cast<unsigned long long>(s.ok_ops),
                PerSecond(static_cast<double>(s.ok_ops), elapsed_s),
                PerSecond(static_cast<double>(s.ok_bytes) / kMiB, elapsed_s),
                Ms(h.percentile(0.50)), Ms(h.percentile(0.90)), Ms(h.percentile(0.99)), Ms(h.max()),
                static_cast<unsigned long long>(s.error_count()));
  std::string out = buf;
  if (!s.errors.empty()) {
    out += " (";
    bool first = true;
    for (const auto& [name, count] : s.errors) {
      out += (first ? "" : ", ") + name + ": " + std::to_string(count);
      first = false;
    }
    out += ")";
  }
  if (o.op == Op::kHeal) out += ", shards healed " + std::to_string(s.shards_healed);
  return out;
}

std::string FormatJson(const Options& o, const RunStats& s, double elapsed_s,
                       std::string_view extra_json) {
  const LatencyHistogram& h = s.latency;
  char buf[768];
  std::snprintf(
      buf, sizeof(buf),
      "{\"op\":\"%s\",\"size\":%llu,\"concurrency\":%d,\"elapsed_s\":%.3f,\"ops\":%llu,"
      "\"bytes\":%llu,\"ops_s\":%.2f,\"mib_s\":%.3f,\"latency_ms\":{\"p50\":%.3f,\"p90\":%.3f,"
      "\"p99\":%.3f,\"max\":%.3f,\"mean\":%.3f},\"connections\":%llu,\"retries\":%llu,"
      "\"shards_healed\":%llu,\"signed\":%s,\"error_count\":%llu,\"errors\":{",
      std::string(OpName(o.op)).c_str(), static_cast<unsigned long long>(o.size), o.concurrency,
      elapsed_s, static_cast<unsigned long long>(s.ok_ops),
      static_cast<unsigned long long>(s.ok_bytes),
      PerSecond(static_cast<double>(s.ok_ops), elapsed_s),
      PerSecond(static_cast<double>(s.ok_bytes) / kMiB, elapsed_s), Ms(h.percentile(0.50)),
      Ms(h.percentile(0.90)), Ms(h.percentile(0.99)), Ms(h.max()), h.mean() / 1e6,
      static_cast<unsigned long long>(s.connections), static_cast<unsigned long long>(s.retries),
      static_cast<unsigned long long>(s.shards_healed), o.sign ? "true" : "false",
      static_cast<unsigned long long>(s.error_count()));
  std::string out = buf;
  bool first = true;
  for (const auto& [name, count] : s.errors) {
    // Names are status codes or fixed words of ours: nothing to escape.
    out += (first ? "\"" : ",\"") + name + "\":" + std::to_string(count);
    first = false;
  }
  out += "}";
  out.append(extra_json);
  out += "}";
  return out;
}

}  // namespace flashstor::bench
