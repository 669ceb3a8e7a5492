// Health: liveness (every registered event loop ticked recently) and readiness (live, not
// draining, and the readiness check, e.g. "write quorum available", passes) for the admin
// endpoints /health/live and /health/ready.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string_view>

namespace flashstor::obs {

struct HealthResponse {
  int http_status;        // 200 or 503
  std::string_view body;  // small static JSON object, e.g. {"status":"ok"}
  static constexpr std::string_view kContentType = "application/json";
};

class Health {
 public:
  static constexpr size_t kMaxLoops = 256;
  using Clock = std::chrono::steady_clock;

  // A loop is stalled when it has not ticked for max_stall.
  explicit Health(std::chrono::milliseconds max_stall = std::chrono::seconds(10));
  Health(const Health&) = delete;
  Health& operator=(const Health&) = delete;

  // Start-up: one id per event loop (thread-safe). Returns -1 past kMaxLoops. The loop counts as
  // ticked now.
  int register_loop();
  // From the event loop on every iteration (or timer): one relaxed atomic store.
  void tick(int loop_id);
  void tick(int loop_id, Clock::time_point now);

  // The readiness condition; evaluated on every /health/ready call from the admin handler's
  // thread, so it must be cheap and thread-safe. Without one, ready == live && !draining.
  void set_readiness_check(std::function<bool()> check);
  // Shutdown: report not ready so load balancers stop sending traffic, while still live.
  void set_draining(bool draining) { draining_.store(draining, std::memory_order_relaxed); }

  bool is_live(Clock::time_point now = Clock::now()) const;
  HealthResponse live(Clock::time_point now = Clock::now()) const;
  HealthResponse ready(Clock::time_point now = Clock::now()) const;

 private:
  std::chrono::milliseconds max_stall_;
  std::unique_ptr<std::atomic<int64_t>[]> last_tick_ns_;  // steady clock ns per loop
  std::atomic<int> loops_{0};
  std::atomic<bool> draining_{false};
  mutable std::mutex check_mu_;
  std::function<bool()> check_;
};

}  // namespace flashstor::obs
