// StopSignal: the stop flag the engine's background threads share, and the sleep they wait in
// (it ends at once when the engine stops).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>

namespace flashstor::object {

class StopSignal {
 public:
  void stop() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopped_ = true;
    }
    cv_.notify_all();
  }
  bool stopped() const { return stopped_.load(); }
  // False when stopped (before or during the sleep).
  bool sleep_for(double seconds) {
    std::unique_lock<std::mutex> lock(mu_);
    auto d = std::chrono::duration<double>(seconds);
    return !cv_.wait_for(lock, std::chrono::duration_cast<std::chrono::nanoseconds>(d),
                         [this] { return stopped_.load(); });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::atomic<bool> stopped_{false};
};

}  // namespace flashstor::object
