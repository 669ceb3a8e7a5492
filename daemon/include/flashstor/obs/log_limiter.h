// LogLimiter: lets one log line of a repeating event through per interval and counts the lines
// it held back in between, so an outage that fails every request logs a line a second (with
// how many it stood for), not one per request. Lines a client can cause (a malformed request, a
// slow or vanished client) go through one too, so no client can flood the journal.
// Thread-safe and lock-free.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string_view>

#include "flashstor/obs/log.h"

namespace flashstor::obs {

class LogLimiter {
 public:
  explicit LogLimiter(std::chrono::milliseconds interval)
      : interval_ns_(interval.count() * 1000000) {}

  // The lines held back since the last one let through, when this one may be logged; nullopt
  // when it is to be held back (and counted).
  std::optional<uint64_t> admit();

  // Logs the line when admit() lets it through, with SUPPRESSED_BEFORE=<lines held back>
  // appended; nothing (and nothing counted) when the level is not logged.
  void log(Level level, std::string_view message, std::initializer_list<Field> fields = {});

 private:
  const int64_t interval_ns_;
  std::atomic<int64_t> next_ns_{0};  // steady clock: the earliest time the next line passes
  std::atomic<uint64_t> held_{0};
};

}  // namespace flashstor::obs
