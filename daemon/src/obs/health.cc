// Liveness from event-loop heartbeats; readiness from a caller-supplied check.
#include "flashstor/obs/health.h"

namespace flashstor::obs {
namespace {

constexpr std::string_view kOk = R"({"status":"ok"})";
constexpr std::string_view kStalled = R"({"status":"unavailable","reason":"event loop stalled"})";
constexpr std::string_view kDraining = R"({"status":"unavailable","reason":"draining"})";
constexpr std::string_view kNotReady = R"({"status":"unavailable","reason":"not ready"})";

int64_t ToNs(Health::Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

}  // namespace

Health::Health(std::chrono::milliseconds max_stall)
    : max_stall_(max_stall), last_tick_ns_(std::make_unique<std::atomic<int64_t>[]>(kMaxLoops)) {}

int Health::register_loop() {
  int id = loops_.load(std::memory_order_relaxed);
  do {
    if (id >= static_cast<int>(kMaxLoops)) return -1;
  } while (!loops_.compare_exchange_weak(id, id + 1, std::memory_order_acq_rel));
  last_tick_ns_[static_cast<size_t>(id)].store(ToNs(Clock::now()), std::memory_order_relaxed);
  return id;
}

void Health::tick(int loop_id) {
  tick(loop_id, Clock::now());
}

void Health::tick(int loop_id, Clock::time_point now) {
  if (loop_id < 0 || loop_id >= static_cast<int>(kMaxLoops)) return;
  last_tick_ns_[static_cast<size_t>(loop_id)].store(ToNs(now), std::memory_order_relaxed);
}

void Health::set_readiness_check(std::function<bool()> check) {
  std::lock_guard<std::mutex> lock(check_mu_);
  check_ = std::move(check);
}

bool Health::is_live(Clock::time_point now) const {
  const int n = loops_.load(std::memory_order_acquire);
  const int64_t limit = std::chrono::duration_cast<std::chrono::nanoseconds>(max_stall_).count();
  const int64_t now_ns = ToNs(now);
  for (int i = 0; i < n; ++i) {
    // A loop registered a moment ago may have stored its tick after our now was taken.
    const int64_t last = last_tick_ns_[static_cast<size_t>(i)].load(std::memory_order_relaxed);
    if (now_ns - last > limit) return false;
  }
  return true;
}

HealthResponse Health::live(Clock::time_point now) const {
  return is_live(now) ? HealthResponse{200, kOk} : HealthResponse{503, kStalled};
}

HealthResponse Health::ready(Clock::time_point now) const {
  if (!is_live(now)) return {503, kStalled};
  if (draining_.load(std::memory_order_relaxed)) return {503, kDraining};
  std::lock_guard<std::mutex> lock(check_mu_);
  if (check_ && !check_()) return {503, kNotReady};
  return {200, kOk};
}

}  // namespace flashstor::obs
