// WorkerPool: a fixed set of threads that run the engine's per-drive I/O in parallel, so a
// request's drives are written and read concurrently without touching the caller's event
// loop. Tasks must never wait on other pool tasks (no nesting), which rules out deadlock.
// A thread pool rather than io_uring: StorageApi is a blocking interface that a RemoteDisk
// (HTTP to a peer) will implement too, so parallelism has to live above the drive calls.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace flashstor::object {

class WorkerPool {
 public:
  explicit WorkerPool(int threads);
  ~WorkerPool();  // finishes queued tasks, joins
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // A group of tasks one caller waits for.
  class Batch {
   public:
    void wait();

   private:
    friend class WorkerPool;
    std::mutex mu_;
    std::condition_variable cv_;
    size_t pending_ = 0;
  };

  // Queues fn(0..n-1); returns a batch to wait() on. fn must outlive the wait.
  std::shared_ptr<Batch> start(size_t n, const std::function<void(size_t)>& fn);
  // Runs fn(0..n-1) in parallel (the last on the calling thread) and waits for all.
  void run(size_t n, const std::function<void(size_t)>& fn);

 private:
  void loop();

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
  bool stop_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace flashstor::object
