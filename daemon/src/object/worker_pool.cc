// WorkerPool: fixed threads draining one FIFO of per-drive I/O tasks.
#include "flashstor/object/worker_pool.h"

namespace flashstor::object {

WorkerPool::WorkerPool(int threads) {
  if (threads < 1) threads = 1;
  for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { loop(); });
}

WorkerPool::~WorkerPool() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  for (auto& t : threads_) t.join();
}

void WorkerPool::loop() {
  while (true) {
    std::function<void()> task;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return stop_ || !queue_.empty(); });
      if (queue_.empty()) return;
      task = std::move(queue_.front());
      queue_.pop_front();
    }
    task();
  }
}

void WorkerPool::Batch::wait() {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [this] { return pending_ == 0; });
}

std::shared_ptr<WorkerPool::Batch> WorkerPool::start(size_t n,
                                                     const std::function<void(size_t)>& fn) {
  auto batch = std::make_shared<Batch>();
  batch->pending_ = n;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (size_t i = 0; i < n; ++i) {
      queue_.emplace_back([batch, &fn, i] {
        fn(i);
        std::lock_guard<std::mutex> l(batch->mu_);
        if (--batch->pending_ == 0) batch->cv_.notify_all();
      });
    }
  }
  cv_.notify_all();
  return batch;
}

void WorkerPool::run(size_t n, const std::function<void(size_t)>& fn) {
  if (n == 0) return;
  if (n == 1) {
    fn(0);
    return;
  }
  auto batch = start(n - 1, fn);
  fn(n - 1);
  batch->wait();
}

}  // namespace flashstor::object
