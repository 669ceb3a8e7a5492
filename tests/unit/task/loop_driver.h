// A minimal event loop for task tests: runs a Scheduler on its own thread until told to stop,
// sleeping until a remote wake-up or the next park deadline.
#pragma once

#include <time.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

#include "flashstor/task/scheduler.h"

namespace test {

inline int64_t NowMs() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1'000'000;
}

class LoopDriver {
 public:
  LoopDriver() : thread_([this] { run(); }) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this] { return scheduler_ != nullptr; });
  }
  ~LoopDriver() { stop(); }

  // Runs fn on the loop thread (spawning fibers must happen there).
  void post(std::function<void()> fn) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      posted_.push_back(std::move(fn));
      signalled_ = true;
    }
    cv_.notify_all();
  }
  // Spawns fn as a fiber on the loop.
  void spawn(std::function<void()> fn) {
    post([this, fn = std::move(fn)]() mutable { scheduler_->spawn(std::move(fn)); });
  }
  // Waits until the scheduler has no live fiber (or timeout); true when drained.
  bool drain(int timeout_ms) {
    int64_t until = NowMs() + timeout_ms;
    while (NowMs() < until) {
      if (idle_.load()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return false;
  }
  void stop() {
    if (!thread_.joinable()) return;
    {
      std::lock_guard<std::mutex> lock(mu_);
      quit_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

 private:
  void run() {
    flashstor::task::Scheduler s({}, [this] {
      {
        std::lock_guard<std::mutex> lock(mu_);
        signalled_ = true;
      }
      cv_.notify_all();
    });
    s.attach();
    {
      std::lock_guard<std::mutex> lock(mu_);
      scheduler_ = &s;
    }
    cv_.notify_all();
    for (;;) {
      std::vector<std::function<void()>> batch;
      {
        std::unique_lock<std::mutex> lock(mu_);
        int t = s.next_timeout_ms(NowMs());
        auto ready = [this] { return signalled_ || quit_; };
        if (t < 0) {
          cv_.wait_for(lock, std::chrono::milliseconds(50), ready);
        } else if (t > 0) {
          cv_.wait_for(lock, std::chrono::milliseconds(t), ready);
        }
        signalled_ = false;
        batch.swap(posted_);
        if (quit_ && batch.empty() && s.live() == 0) break;
      }
      for (auto& fn : batch) fn();
      s.fire_timers(NowMs());
      s.run_ready();
      idle_.store(s.live() == 0 && batch.empty());
    }
    std::lock_guard<std::mutex> lock(mu_);
    scheduler_ = nullptr;
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::function<void()>> posted_;
  bool signalled_ = false;
  bool quit_ = false;
  std::atomic<bool> idle_{false};
  flashstor::task::Scheduler* scheduler_ = nullptr;
  std::thread thread_;
};

}  // namespace test
