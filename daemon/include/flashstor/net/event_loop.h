// EventLoop: one epoll instance driven by one thread. Other threads hand it work with post(),
// which wakes it through an eventfd. Timers are coarse (1 s) and driven by on_tick.
#pragma once

#include <sys/epoll.h>

#include <atomic>
#include <functional>
#include <mutex>
#include <vector>

#include "flashstor/common/status.h"

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

  // Runs until stop(); ticks at least once a second.
  void run();
  void stop();

 private:
  void drain_posted();

  int index_;
  int epfd_ = -1;
  int wakefd_ = -1;
  ReadyFn on_ready_;
  TickFn on_tick_;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::vector<std::function<void()>> posted_;
};

int64_t MonotonicMs();
uint64_t MonotonicNs();

}  // namespace flashstor::net
