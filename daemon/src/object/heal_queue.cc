// HealQueue: bounded de-duplicated FIFO guarded by one mutex (pushes are rare and cheap).
#include "flashstor/object/heal_queue.h"

namespace flashstor::object {

bool HealQueue::push(std::string_view bucket, std::string_view key) {
  std::string id = std::string(bucket) + "/" + std::string(key);
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closed_) return false;
    if (queued_.contains(id)) return true;
    if (queue_.size() >= capacity_) {
      ++overflow_;
      return false;
    }
    queued_.insert(std::move(id));
    queue_.push_back({std::string(bucket), std::string(key)});
  }
  cv_.notify_one();
  return true;
}

std::optional<HealTask> HealQueue::pop(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  if (!cv_.wait_for(lock, timeout, [this] { return closed_ || !queue_.empty(); })) {
    return std::nullopt;
  }
  if (closed_ || queue_.empty()) return std::nullopt;
  HealTask task = std::move(queue_.front());
  queue_.pop_front();
  queued_.erase(task.bucket + "/" + task.key);
  return task;
}

void HealQueue::close() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    closed_ = true;
  }
  cv_.notify_all();
}

size_t HealQueue::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return queue_.size();
}

uint64_t HealQueue::overflow() const {
  std::lock_guard<std::mutex> lock(mu_);
  return overflow_;
}

}  // namespace flashstor::object
