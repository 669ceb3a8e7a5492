// EventLoop: one epoll instance driven by one thread, which also runs the loop's request tasks
// (fibers, task/scheduler.h) between its events. Other threads hand it work with post() and
// wake its parked tasks through the same eventfd. Connection timers are coarse (1 s, on_tick);
// task park deadlines are exact to the millisecond.
#pragma once

#include <sys/epoll.h>

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "flashstor/common/status.h"
#include "flashstor/task/scheduler.h"

namespace flashstor::net {

class EventLoop {
 public:
  // Called for every ready fd with the epoll events; data is what add() registered.
  using ReadyFn = std::function<void(void* data, uint32_t events)>;
  using TickFn = std::function<void(int64_t now_ms)>;

  EventLoop(int index, ReadyFn on_ready, TickFn on_tick);
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  Status init();
  int index() const { return index_; }

  // Registration; data must stay valid until del(). EPOLLONESHOT callers re-arm with mod().
  Status add(int fd, uint32_t events, void* data);
  Status mod(int fd, uint32_t events, void* data);
  void del(int fd);

  // Thread-safe: runs fn on the loop thread soon.
  void post(std::function<void()> fn);

  // The loop's task scheduler (spawn from the loop thread only).
  task::Scheduler& scheduler() { return *scheduler_; }

  // Runs until stop(); ticks at least once a second.
  void run();
  void stop();

 private:
  void drain_posted();
  void wake();

  int index_;
  int epfd_ = -1;
  int wakefd_ = -1;
  ReadyFn on_ready_;
  TickFn on_tick_;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::vector<std::function<void()>> posted_;
  std::unique_ptr<task::Scheduler> scheduler_;
};

int64_t MonotonicMs();
uint64_t MonotonicNs();

}  // namespace flashstor::net
