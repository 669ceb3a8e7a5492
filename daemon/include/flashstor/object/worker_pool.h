// WorkerPool: a fixed set of threads that run the engine's per-drive I/O in parallel, so a
// request's drives are written and read concurrently without touching the caller's event
// loop. Tasks must never wait on other pool tasks (no nesting), which rules out deadlock.
// A thread pool rather than io_uring: StorageApi is a blocking interface that a RemoteDisk
// (HTTP to a peer) will implement too, so parallelism has to live above the drive calls.
//
// Fanning out is not free: waking a thread costs a futex call, an IPI and two context
// switches, tens of microseconds on a VM, more than reading a small file from the page
// cache. run() therefore times each kind of work (TaskKind) and runs the quick kinds on
// the calling thread, switching to the pool as soon as one task is slow (a real disk read).
// A task that throws std::bad_alloc on a pool thread does not end the process: the batch
// finishes its other tasks and the waiting caller gets the bad_alloc (the request boundary
// answers 503 for it).
#pragma once

#include <array>
#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <new>
#include <thread>
#include <vector>

#include "flashstor/task/condition.h"

namespace flashstor::object {

enum class TaskKind {
  kFanOut,        // always parallel (writes, fsyncs, anything that may block for long)
  kMetadataRead,  // small whole-file reads: usually page-cache hits
  kShardRead,     // shard blocks: page cache or disk
  kCount,
};

class WorkerPool {
 public:
  explicit WorkerPool(int threads);
  ~WorkerPool();  // finishes queued tasks, joins
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Tasks of a kind averaging below its quick time are not worth a thread wake-up. Measured
  // with 4 KiB and 1 MiB GETs on 2 cores (docs/bench.md): a metadata read stays on the
  // caller up to 25 us, while a shard read, memcpy and CRC bound, gains from a second core
  // above 10 us. A task above kSlowNs went to a device, and the rest of its batch fans out.
  static constexpr int64_t QuickNs(TaskKind kind) {
    return kind == TaskKind::kMetadataRead ? 25'000 : 10'000;
  }
  static constexpr int64_t kMaxSampleNs = 100'000;  // one preempted task cannot flip a kind
  static constexpr int64_t kSlowNs = 200'000;

  // fn(first..n-1) as a group of tasks one caller waits for. Threads claim indices, so a
  // thread that finds none left returns at once.
  class Batch {
   public:
    void wait();  // rethrows std::bad_alloc if a task ran out of memory

   private:
    friend class WorkerPool;
    void claim_and_run(WorkerPool* pool);  // pool: a pool thread, which may wake another
    std::atomic<size_t> next_{0};
    size_t n_ = 0;
    const std::function<void(size_t)>* fn_ = nullptr;
    std::atomic<int64_t>* clock_ = nullptr;  // the kind's moving average, or null
    std::mutex mu_;
    task::Condition cv_;  // a request task parks here; a plain thread blocks
    size_t pending_ = 0;
    std::atomic<bool> out_of_memory_{false};
  };

  // Queues fn(0..n-1); returns a batch to wait() on. fn must outlive the wait.
  std::shared_ptr<Batch> start(size_t n, const std::function<void(size_t)>& fn);
  // Runs fn(0..n-1) and waits for all: in parallel, the calling thread included, or, for a
  // quick kind, on the calling thread until a task turns out slow. A request task (a fiber on
  // an event loop) never runs slow work itself: it hands every task to the pool and parks
  // until the last one completes, so its loop keeps serving other connections.
  void run(size_t n, const std::function<void(size_t)>& fn, TaskKind kind = TaskKind::kFanOut);

  // Moving average of a kind's task time (tests, metrics).
  int64_t average_ns(TaskKind kind) const;

 private:
  std::shared_ptr<Batch> queue(size_t first, size_t n, const std::function<void(size_t)>& fn,
                               size_t helpers, std::atomic<int64_t>* clock);
  void loop();

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
  bool stop_ = false;
  std::vector<std::thread> threads_;
  std::array<std::atomic<int64_t>, static_cast<size_t>(TaskKind::kCount)> clocks_{};
};

}  // namespace flashstor::object
