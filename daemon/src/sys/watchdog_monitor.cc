// WatchdogMonitor: liveness marks per event loop, the request-progress check, and the pinger
// thread that turns "all loops alive, requests served" into WATCHDOG=1 at half the interval.
#include "flashstor/sys/watchdog_monitor.h"

#include "flashstor/common/thread_name.h"
#include "flashstor/obs/log.h"
#include "flashstor/sys/systemd.h"

namespace flashstor::sys {

WatchdogMonitor::WatchdogMonitor(PingFn ping) : ping_(std::move(ping)) {
  if (!ping_) {
    ping_ = [] {
      auto sent = NotifyWatchdog();
      return sent ? Status::Ok() : sent.error();
    };
  }
}

WatchdogMonitor::~WatchdogMonitor() {
  stop();
}

Result<size_t> WatchdogMonitor::register_loop(std::string name) {
  const size_t id = count_.load(std::memory_order_relaxed);
  if (id >= kMaxLoops) return Err(Code::kTooLarge, "too many watchdog loops");
  names_.push_back(std::move(name));
  ticked_[id].store(false, std::memory_order_relaxed);
  count_.store(id + 1, std::memory_order_release);
  return id;
}

void WatchdogMonitor::tick(size_t loop_id) {
  if (loop_id < kMaxLoops) ticked_[loop_id].store(true, std::memory_order_relaxed);
}

std::vector<std::string> WatchdogMonitor::stale_loops() const {
  std::vector<std::string> stale;
  const size_t n = count_.load(std::memory_order_acquire);
  for (size_t i = 0; i < n; ++i) {
    if (!ticked_[i].load(std::memory_order_relaxed)) stale.push_back(names_[i]);
  }
  return stale;
}

void WatchdogMonitor::set_progress_probe(ProgressFn probe, std::chrono::milliseconds stall_limit) {
  probe_ = std::move(probe);
  stall_limit_ = stall_limit;
  last_change_ = Clock::now();
}

bool WatchdogMonitor::requests_stalled(Clock::time_point now) {
  if (!probe_ || stall_limit_.count() <= 0) return false;
  const RequestProgress p = probe_();
  if (p.pending == 0 || p.progress != last_progress_) {
    last_progress_ = p.progress;
    last_change_ = now;
    if (requests_stall_logged_) {
      requests_stall_logged_ = false;
      obs::Log(obs::Level::kNotice, "requests are being served again");
    }
    return false;
  }
  if (now - last_change_ < stall_limit_) return false;
  if (!requests_stall_logged_) {
    requests_stall_logged_ = true;
    obs::Log(obs::Level::kWarning,
             "requests wait for a worker and none has progressed: withholding watchdog ping",
             {{"PENDING", std::to_string(p.pending)},
              {"STALL_MS", std::to_string(stall_limit_.count())}});
  }
  return true;
}

bool WatchdogMonitor::check_and_ping(Clock::time_point now) {
  const size_t n = count_.load(std::memory_order_acquire);
  for (size_t i = 0; i < n; ++i) {
    if (ticked_[i].load(std::memory_order_relaxed)) continue;
    if (!stall_logged_) {
      stall_logged_ = true;
      obs::Log(obs::Level::kWarning, "event loop has not ticked: withholding watchdog ping",
               {{"LOOP", names_[i]}});
    }
    return false;
  }
  if (requests_stalled(now)) return false;
  // A tick landing between the check and the reset is absorbed: that loop was alive anyway.
  for (size_t i = 0; i < n; ++i) ticked_[i].store(false, std::memory_order_relaxed);
  if (stall_logged_) {
    stall_logged_ = false;
    obs::Log(obs::Level::kNotice, "all event loops ticking again");
  }
  Status s = ping_();
  if (!s.ok()) obs::Log(obs::Level::kWarning, "watchdog ping failed");
  return true;
}

Status WatchdogMonitor::start(std::chrono::microseconds interval) {
  if (thread_.joinable()) return Status(Code::kAlreadyExists, "watchdog already started");
  if (interval.count() <= 0) return Status::Ok();
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = false;
  }
  thread_ = std::thread([this, interval] {
    NameThisThread("fs-watchdog");
    run(interval / 2);
  });
  return Status::Ok();
}

void WatchdogMonitor::stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void WatchdogMonitor::run(std::chrono::microseconds period) {
  std::unique_lock<std::mutex> lock(mu_);
  while (!cv_.wait_for(lock, period, [this] { return stopping_; })) {
    lock.unlock();
    check_and_ping();
    lock.lock();
  }
}

}  // namespace flashstor::sys
