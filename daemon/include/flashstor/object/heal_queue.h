// HealQueue: a bounded, de-duplicated FIFO of objects that a read or write found damaged or
// missing on some drive; a background thread drains it with heal_object. Overflow is
// counted, never blocks the request path.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_set>

namespace flashstor::object {

struct HealTask {
  std::string bucket;
  std::string key;
};

class HealQueue {
 public:
  explicit HealQueue(size_t capacity) : capacity_(capacity) {}

  // False (and counted as overflow) when full; true when queued or already queued.
  bool push(std::string_view bucket, std::string_view key);
  // Waits up to timeout for a task; nullopt on timeout or after close().
  std::optional<HealTask> pop(std::chrono::milliseconds timeout);
  void close();

  size_t size() const;
  uint64_t overflow() const;

 private:
  const size_t capacity_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<HealTask> queue_;
  std::unordered_set<std::string> queued_;  // bucket + '/' + key
  uint64_t overflow_ = 0;
  bool closed_ = false;
};

}  // namespace flashstor::object
