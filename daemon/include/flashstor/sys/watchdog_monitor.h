// WatchdogMonitor: pings the systemd watchdog only while every registered event loop is
// alive and requests are being served, so one wedged loop, or requests that wait for a worker
// while no request makes progress, stop the pings and systemd restarts the daemon.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "flashstor/common/status.h"

namespace flashstor::sys {

class WatchdogMonitor {
 public:
  static constexpr size_t kMaxLoops = 256;
  // Sends one ping; defaults to NotifyWatchdog() (sd_notify "WATCHDOG=1").
  using PingFn = std::function<Status()>;

  // Request service as the HTTP server sees it: pending counts requests waiting for a worker;
  // progress is any counter that moves when a request finishes or moves bytes.
  struct RequestProgress {
    uint64_t pending = 0;
    uint64_t progress = 0;
  };
  using ProgressFn = std::function<RequestProgress()>;
  using Clock = std::chrono::steady_clock;

  explicit WatchdogMonitor(PingFn ping = {});
  ~WatchdogMonitor();  // stops the pinger thread
  WatchdogMonitor(const WatchdogMonitor&) = delete;
  WatchdogMonitor& operator=(const WatchdogMonitor&) = delete;

  // Registers a loop (before start(), from the thread that builds the loops); returns its id
  // for tick(). kTooLarge beyond kMaxLoops. A registered loop counts as not yet ticked.
  Result<size_t> register_loop(std::string name);

  // Marks loop_id alive. Lock-free (one relaxed atomic store): call it every pass of the loop
  // or from a periodic timer in the loop. Unknown ids are ignored.
  void tick(size_t loop_id);

  // One round: when every registered loop ticked since the last ping, sends a ping, resets
  // the marks and returns true; otherwise withholds the ping, logs the stale loops once per
  // stall and returns false. With no loop registered it always pings. Not for concurrent use
  // with itself (the pinger thread calls it; tests call it directly).
  // A probe set with set_progress_probe() also withholds the ping while requests have been
  // pending with no progress for the stall limit.
  bool check_and_ping(Clock::time_point now = Clock::now());

  // Before start(): the progress probe (called from the pinger thread) and the stall limit;
  // a zero limit disables the check.
  void set_progress_probe(ProgressFn probe, std::chrono::milliseconds stall_limit);

  // Starts a thread that calls check_and_ping() every interval/2 (systemd's advice).
  // interval is WatchdogInterval(); a zero interval starts nothing (watchdog disabled).
  // Call after DropPrivileges() (it must run single-threaded). Idempotent error: kAlreadyExists.
  Status start(std::chrono::microseconds interval);
  void stop();

  // Names of loops that have not ticked since the last ping (for logs and tests).
  std::vector<std::string> stale_loops() const;

 private:
  void run(std::chrono::microseconds period);
  // True while requests are pending and none progressed for the stall limit.
  bool requests_stalled(Clock::time_point now);

  PingFn ping_;
  std::vector<std::string> names_;
  std::atomic<bool> ticked_[kMaxLoops] = {};
  std::atomic<size_t> count_{0};
  bool stall_logged_ = false;
  ProgressFn probe_;
  std::chrono::milliseconds stall_limit_{0};
  uint64_t last_progress_ = 0;
  Clock::time_point last_change_{};
  bool requests_stall_logged_ = false;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace flashstor::sys
