// HealthCheckedDisk::Health: one drive's health state. Registers calls in flight, records
// their latency, runs the monitor thread (watchdog over calls past their deadline, probes
// and reconnects of an offline drive) and decides online / offline.
#pragma once

#include <array>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>

#include "flashstor/storage/health_checked_disk.h"

namespace flashstor::storage {

class HealthCheckedDisk::Health {
 public:
  // One call in flight, on its caller's stack (an intrusive list: no allocation per call).
  struct InFlight {
    int64_t start_ns = 0;
    int64_t deadline_ns = 0;
    DriveCall call = DriveCall::kDiskInfo;
    uint64_t generation = 0;
    InFlight* prev = nullptr;
    InFlight* next = nullptr;
  };

  Health(std::string endpoint, std::shared_ptr<StorageApi> inner, const HealthOptions& options,
         Reconnector reconnect);
  ~Health();

  void start_monitor();
  void stop_monitor();

  // Registers a call; returns the drive to call, or null when offline (fail fast).
  std::shared_ptr<StorageApi> enter(InFlight& call, DriveCall kind);
  // Unregisters it; records latency; a late call or a vanished drive takes it offline.
  void leave(InFlight& call, const Status& result);

  const std::string& endpoint() const { return endpoint_; }
  bool online() const { return online_.load(std::memory_order_acquire); }
  uint64_t offline_events() const { return offline_events_.load(std::memory_order_relaxed); }
  uint64_t timeouts() const { return timeouts_.load(std::memory_order_relaxed); }
  CallLatency latency(DriveCall call) const;
  void set_on_online(std::function<void(bool)> fn);

 private:
  struct Stats {
    std::atomic<int64_t> avg_ns{0};
    std::atomic<int64_t> max_ns{0};       // this window
    std::atomic<int64_t> prev_max_ns{0};  // the window before
    std::atomic<uint64_t> calls{0};
  };

  static int64_t NowNs();
  int64_t deadline_ns(DriveCall call) const;
  // Under mu_: offline now (true if it was online). vanished: needs a reconnect.
  bool go_offline_locked(bool vanished);
  void monitor_loop();
  void check_deadlines();
  void probe();
  Status probe_in_place(StorageApi& drive);
  void come_online(std::shared_ptr<StorageApi> drive, bool reconnected, bool reformatted);

  const std::string endpoint_;
  const HealthOptions options_;
  const Reconnector reconnect_;

  mutable std::mutex mu_;  // guards the fields below, up to the atomics
  std::shared_ptr<StorageApi> inner_;
  InFlight* calls_ = nullptr;
  uint64_t generation_ = 1;
  bool needs_reconnect_ = false;
  std::function<void(bool)> on_online_;
  std::string last_probe_error_;  // logged once per distinct failure

  std::atomic<bool> online_{false};
  std::atomic<uint64_t> offline_events_{0};
  std::atomic<uint64_t> timeouts_{0};
  std::array<Stats, kDriveCallCount> stats_;

  std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  bool stop_ = false;
  std::thread monitor_;
};

}  // namespace flashstor::storage
