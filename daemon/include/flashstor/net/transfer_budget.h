// TransferBudget: the time a request may spend waiting for its client, and the rate the client
// must keep while we wait. The worker-side transports (plain and TLS) consult it before every
// poll() and report every byte they move, so a slow or silent client is cut off in bounded time.
#pragma once

#include <poll.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <ctime>

#include "flashstor/common/status.h"

namespace flashstor::net {

// How a transport waits for its peer between non-blocking calls: poll() when none is set; a
// request task parks on its event loop instead (net/loop_peer_waiter.h), holding no thread.
class PeerWaiter {
 public:
  virtual ~PeerWaiter() = default;
  // Waits until fd is ready for events (POLLIN / POLLOUT; HUP and errors count as ready) or
  // timeout_ms passed: 1 ready, 0 timed out, -errno on failure.
  virtual int wait(int fd, short events, int timeout_ms) = 0;
};

// Zero in any field switches that bound off.
struct TransferLimits {
  int io_timeout_ms = 60'000;  // longest wait with no byte moved (inactivity)
  // Total deadline: base plus one second per deadline_bytes_per_s bytes moved, so a request
  // that keeps moving data at least that fast never hits it, whatever its size.
  int64_t deadline_base_ms = 0;
  uint64_t deadline_bytes_per_s = 0;
  // Minimum rate: at least min_rate_bytes per window_ms of time spent waiting for the client.
  // Only waiting counts, so time the server spends on its disks is never held against it.
  uint64_t min_rate_bytes = 0;
  int window_ms = 10'000;
};

enum class TransferCut : uint8_t { kNone, kIdle, kTooSlow, kDeadline, kNoWait };

// Not thread-safe: one request, one task. Times are CLOCK_MONOTONIC milliseconds.
class TransferBudget {
 public:
  TransferBudget(const TransferLimits& limits, int64_t start_ms,
                 std::atomic<uint64_t>* progress = nullptr)
      : limits_(limits), start_ms_(start_ms), progress_(progress) {}

  // How long the next wait for the peer may last (> 0), or 0 when the budget is spent; cut()
  // then says why. sending: the wait is for the peer to read (response), else to write (body).
  int wait_ms(int64_t now_ms, bool sending) {
    if (cut_ != TransferCut::kNone) return 0;  // sending() stays the direction that was cut
    sending_ = sending;
    if (no_wait_) return stop(TransferCut::kNoWait);
    int64_t limit = limits_.io_timeout_ms > 0 ? limits_.io_timeout_ms - idle_ms_ : 1 << 30;
    if (limits_.io_timeout_ms > 0 && limit <= 0) return stop(TransferCut::kIdle);
    if (limits_.deadline_base_ms > 0) {
      int64_t left = deadline_ms() - now_ms;
      if (left <= 0) return stop(TransferCut::kDeadline);
      limit = std::min(limit, left);
    }
    if (limits_.min_rate_bytes > 0 && limits_.window_ms > 0) {
      limit = std::min<int64_t>(limit, std::max<int64_t>(1, limits_.window_ms - window_wait_ms_));
    }
    return static_cast<int>(std::clamp<int64_t>(limit, 1, 1 << 30));
  }

  // After a wait that lasted waited_ms: closes the rate window when it is full.
  void waited(int64_t waited_ms) {
    if (waited_ms < 0) waited_ms = 0;
    idle_ms_ += waited_ms;
    window_wait_ms_ += waited_ms;
    if (limits_.min_rate_bytes == 0 || limits_.window_ms <= 0) return;
    if (window_wait_ms_ < limits_.window_ms) return;
    last_rate_bps_ = window_bytes_ * 1000 / static_cast<uint64_t>(window_wait_ms_);
    if (window_bytes_ < limits_.min_rate_bytes) {
      cut_ = TransferCut::kTooSlow;
      return;
    }
    window_wait_ms_ = 0;
    window_bytes_ = 0;
  }

  // Bytes received from or sent to the peer.
  void moved(uint64_t bytes) {
    if (bytes == 0) return;
    total_bytes_ += bytes;
    window_bytes_ += bytes;
    idle_ms_ = 0;
    if (progress_ != nullptr) progress_->fetch_add(1, std::memory_order_relaxed);
  }

  // The request's way of waiting (nullptr: poll). Must outlive the budget's use.
  void set_peer_waiter(PeerWaiter* waiter) { waiter_ = waiter; }
  PeerWaiter* peer_waiter() const { return waiter_; }

  // From now on every wait fails at once (kNoWait): used to drain only what already arrived.
  void set_no_wait() { no_wait_ = true; }

  TransferCut cut() const { return cut_; }
  bool sending() const { return sending_; }  // direction of the last wait
  uint64_t total_bytes() const { return total_bytes_; }
  // Bytes per second over the window that cut the client off (or the last full window).
  uint64_t last_rate_bps() const { return last_rate_bps_; }
  int64_t deadline_ms() const {
    int64_t extra = limits_.deadline_bytes_per_s > 0
                        ? static_cast<int64_t>(total_bytes_ * 1000 / limits_.deadline_bytes_per_s)
                        : 0;
    return start_ms_ + limits_.deadline_base_ms + extra;
  }

  // The error a transport returns once wait_ms() gave 0.
  Status status() const {
    switch (cut_) {
      case TransferCut::kTooSlow:
        return Status(Code::kTimeout, "client below the minimum transfer rate");
      case TransferCut::kDeadline:
        return Status(Code::kTimeout, "request deadline passed");
      case TransferCut::kNoWait:
        return Status(Code::kTimeout, "no more waiting for this request");
      default:
        return Status(Code::kTimeout, "socket inactivity timeout");
    }
  }

 private:
  int stop(TransferCut why) {
    cut_ = why;
    return 0;
  }

  TransferLimits limits_;
  int64_t start_ms_;
  std::atomic<uint64_t>* progress_;
  PeerWaiter* waiter_ = nullptr;
  TransferCut cut_ = TransferCut::kNone;
  bool no_wait_ = false;
  bool sending_ = false;
  int64_t idle_ms_ = 0;
  int64_t window_wait_ms_ = 0;
  uint64_t window_bytes_ = 0;
  uint64_t total_bytes_ = 0;
  uint64_t last_rate_bps_ = 0;
};

inline int64_t TransferClockMs() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1'000'000;
}

// Waits until fd is ready for events or the budget is spent (its status() is returned).
// Readiness includes HUP/ERR: the next I/O call reports those.
inline Status WaitForPeer(int fd, short events, TransferBudget& budget, bool sending) {
  for (;;) {
    const int64_t before = TransferClockMs();
    const int ms = budget.wait_ms(before, sending);
    if (ms <= 0) return budget.status();
    int r;
    int saved_errno = 0;
    if (PeerWaiter* w = budget.peer_waiter(); w != nullptr) {
      r = w->wait(fd, events, ms);
      if (r < 0) {
        saved_errno = -r;
        r = -1;
      }
    } else {
      pollfd p{.fd = fd, .events = events, .revents = 0};
      r = ::poll(&p, 1, ms);
      saved_errno = errno;
    }
    budget.waited(TransferClockMs() - before);
    if (r > 0) return Status::Ok();
    if (r < 0 && saved_errno != EINTR) return StatusFromErrno(saved_errno, "poll");
  }
}

}  // namespace flashstor::net
