// EventLoop: epoll_wait loop with an eventfd for cross-thread posts and task wake-ups, a 1 s
// tick, and the loop's fibers run after each round of events.
#include "flashstor/net/event_loop.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>

namespace flashstor::net {

int64_t MonotonicMs() {
  return static_cast<int64_t>(MonotonicNs() / 1'000'000);
}

uint64_t MonotonicNs() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000ull + static_cast<uint64_t>(ts.tv_nsec);
}

namespace {

// Stacks a loop keeps for its next tasks: one HTTP/2 connection alone may run 100 streams at
// once (plus its driver), and a stack given back beyond the cache is unmapped: at 64, a burst
// of 100 streams spent a quarter of the loop in munmap and its TLB shootdowns. Only stacks of
// tasks that ran at once are ever cached, and the idle trim unmaps them
// (HttpServer::release_cached_stacks).
task::SchedulerOptions LoopSchedulerOptions() {
  task::SchedulerOptions o;
  o.max_cached_stacks = 160;
  return o;
}

}  // namespace

EventLoop::EventLoop(int index, ReadyFn on_ready, TickFn on_tick)
    : index_(index),
      on_ready_(std::move(on_ready)),
      on_tick_(std::move(on_tick)),
      scheduler_(std::make_unique<task::Scheduler>(LoopSchedulerOptions(), [this] { wake(); })) {}

EventLoop::~EventLoop() {
  if (wakefd_ >= 0) ::close(wakefd_);
  if (epfd_ >= 0) ::close(epfd_);
}

Status EventLoop::init() {
  epfd_ = epoll_create1(EPOLL_CLOEXEC);
  if (epfd_ < 0) return StatusFromErrno(errno, "epoll_create1");
  wakefd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wakefd_ < 0) return StatusFromErrno(errno, "eventfd");
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.ptr = nullptr;  // nullptr marks the wake-up fd
  if (epoll_ctl(epfd_, EPOLL_CTL_ADD, wakefd_, &ev) != 0) return StatusFromErrno(errno, "epoll");
  return Status::Ok();
}

Status EventLoop::add(int fd, uint32_t events, void* data) {
  epoll_event ev{};
  ev.events = events;
  ev.data.ptr = data;
  if (epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &ev) != 0) return StatusFromErrno(errno, "epoll add");
  return Status::Ok();
}

Status EventLoop::mod(int fd, uint32_t events, void* data) {
  epoll_event ev{};
  ev.events = events;
  ev.data.ptr = data;
  if (epoll_ctl(epfd_, EPOLL_CTL_MOD, fd, &ev) != 0) return StatusFromErrno(errno, "epoll mod");
  return Status::Ok();
}

void EventLoop::del(int fd) {
  epoll_ctl(epfd_, EPOLL_CTL_DEL, fd, nullptr);
}

void EventLoop::post(std::function<void()> fn) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    posted_.push_back(std::move(fn));
  }
  wake();
}

void EventLoop::wake() {
  uint64_t one = 1;
  (void)!::write(wakefd_, &one, sizeof(one));
}

void EventLoop::stop() {
  stop_.store(true);
  uint64_t one = 1;
  (void)!::write(wakefd_, &one, sizeof(one));
}

void EventLoop::drain_posted() {
  uint64_t count;
  (void)!::read(wakefd_, &count, sizeof(count));
  std::vector<std::function<void()>> batch;
  {
    std::lock_guard<std::mutex> lock(mu_);
    batch.swap(posted_);
  }
  for (auto& fn : batch) fn();
}

void EventLoop::run() {
  constexpr int kMaxEvents = 128;
  epoll_event events[kMaxEvents];
  int64_t next_tick = MonotonicMs();
  task::Scheduler& tasks = *scheduler_;
  tasks.attach();
  while (!stop_.load(std::memory_order_relaxed)) {
    int64_t now = MonotonicMs();
    int timeout = next_tick > now ? static_cast<int>(next_tick - now) : 0;
    const int task_timeout = tasks.next_timeout_ms(now);
    if (task_timeout >= 0 && task_timeout < timeout) timeout = task_timeout;
    int n = epoll_wait(epfd_, events, kMaxEvents, timeout);
    if (n < 0 && errno != EINTR) break;
    for (int i = 0; i < n; ++i) {
      if (events[i].data.ptr == nullptr) {
        drain_posted();
      } else {
        on_ready_(events[i].data.ptr, events[i].events);
      }
    }
    now = MonotonicMs();
    tasks.fire_timers(now);
    tasks.run_ready();
    if (now >= next_tick) {
      on_tick_(now);
      next_tick = now + 1000;
    }
  }
  drain_posted();
  tasks.run_ready();
}

}  // namespace flashstor::net
