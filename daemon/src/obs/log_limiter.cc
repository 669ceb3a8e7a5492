// LogLimiter: one line per interval, counting the ones held back (log_limiter.h).
#include "flashstor/obs/log_limiter.h"

#include <string>
#include <vector>

namespace flashstor::obs {

std::optional<uint64_t> LogLimiter::admit() {
  const int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                          std::chrono::steady_clock::now().time_since_epoch())
                          .count();
  int64_t next = next_ns_.load(std::memory_order_relaxed);
  // Only the thread whose exchange moves the window on logs; every other one is counted.
  while (now >= next) {
    if (next_ns_.compare_exchange_weak(next, now + interval_ns_, std::memory_order_relaxed)) {
      return held_.exchange(0, std::memory_order_relaxed);
    }
  }
  held_.fetch_add(1, std::memory_order_relaxed);
  return std::nullopt;
}

void LogLimiter::log(Level level, std::string_view message, std::initializer_list<Field> fields) {
  if (!LogEnabled(level)) return;
  const std::optional<uint64_t> held = admit();
  if (!held) return;
  const std::string count = std::to_string(*held);
  std::vector<Field> all(fields);
  all.push_back({"SUPPRESSED_BEFORE", count});
  Log(level, message, std::span<const Field>(all));
}

}  // namespace flashstor::obs
