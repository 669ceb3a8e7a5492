// LogLimiter: lets one log line of a repeating event through per interval and counts the lines
// it held back in between, so an outage that fails every request logs a line a second (with
// how many it stood for), not one per request. Thread-safe and lock-free.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>

namespace flashstor::obs {

class LogLimiter {
 public:
  explicit LogLimiter(std::chrono::milliseconds interval)
      : interval_ns_(interval.count() * 1000000) {}

  // The lines held back since the last one let through, when this one may be logged; nullopt
  // when it is to be held back (and counted).
  std::optional<uint64_t> admit();

 private:
  const int64_t interval_ns_;
  std::atomic<int64_t> next_ns_{0};  // steady clock: the earliest time the next line passes
  std::atomic<uint64_t> held_{0};
};

}  // namespace flashstor::obs
