// WorkerPool: fixed threads draining one FIFO of per-drive I/O tasks; quick kinds of work
// run on the caller (see worker_pool.h).
#include "flashstor/object/worker_pool.h"

#include <time.h>

#include <algorithm>

namespace flashstor::object {
namespace {

int64_t MonotonicNs() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

// Moving average over about 8 tasks. A sample counts at most kMaxSampleNs, so one task
// preempted on a busy machine cannot flip a kind to the pool, while a device (every task
// slow) does within a few tasks. Relaxed races between threads only blur the average.
void Record(std::atomic<int64_t>& clock, int64_t ns) {
  ns = std::min(ns, WorkerPool::kMaxSampleNs);
  int64_t avg = clock.load(std::memory_order_relaxed);
  clock.store(avg + (ns - avg) / 8, std::memory_order_relaxed);
}

}  // namespace

WorkerPool::WorkerPool(int threads) {
  if (threads < 1) threads = 1;
  for (auto& c : clocks_) c.store(0, std::memory_order_relaxed);
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
  if (out_of_memory_.load()) throw std::bad_alloc();
}

void WorkerPool::Batch::claim_and_run(WorkerPool* pool) {
  size_t mine = 0;
  for (size_t i; (i = next_.fetch_add(1, std::memory_order_relaxed)) < n_;) {
    // Work is left after this index: wake one more thread. Wake-ups chain while tasks are
    // slow and stop by themselves when the others keep up.
    if (pool != nullptr && i + 1 < n_) pool->cv_.notify_one();
    const int64_t t0 = clock_ != nullptr ? MonotonicNs() : 0;
    try {
      (*fn_)(i);  // only while an index is left: the caller is still waiting, fn is alive
    } catch (const std::bad_alloc&) {
      out_of_memory_ = true;  // wait() hands it to the caller once every task is done
    }
    if (clock_ != nullptr) Record(*clock_, MonotonicNs() - t0);
    ++mine;
  }
  if (mine == 0) return;
  std::lock_guard<std::mutex> lock(mu_);
  pending_ -= mine;
  if (pending_ == 0) cv_.notify_all();
}

std::shared_ptr<WorkerPool::Batch> WorkerPool::queue(size_t first, size_t n,
                                                     const std::function<void(size_t)>& fn,
                                                     size_t helpers, std::atomic<int64_t>* clock) {
  auto batch = std::make_shared<Batch>();
  batch->next_.store(first, std::memory_order_relaxed);
  batch->n_ = n;
  batch->pending_ = n - first;
  batch->fn_ = &fn;
  batch->clock_ = clock;
  {
    std::lock_guard<std::mutex> lock(mu_);
    try {
      for (size_t i = 0; i < helpers; ++i) {
        queue_.emplace_back([batch, this] { batch->claim_and_run(this); });
      }
    } catch (const std::bad_alloc&) {
      batch->next_.store(n);  // helpers already queued find nothing to claim (fn dies)
      throw;
    }
  }
  // One wake-up; each woken thread wakes the next while work is left (claim_and_run), instead
  // of waking every idle thread at once.
  if (helpers > 0) cv_.notify_one();
  return batch;
}

std::shared_ptr<WorkerPool::Batch> WorkerPool::start(size_t n,
                                                     const std::function<void(size_t)>& fn) {
  return queue(0, n, fn, n, nullptr);
}

void WorkerPool::run(size_t n, const std::function<void(size_t)>& fn, TaskKind kind) {
  if (n == 0) return;
  std::atomic<int64_t>* clock =
      kind == TaskKind::kFanOut ? nullptr : &clocks_[static_cast<size_t>(kind)];
  size_t first = 0;
  if (clock != nullptr && clock->load(std::memory_order_relaxed) < QuickNs(kind)) {
    // Quick so far: stay on this thread while tasks stay quick.
    while (first < n) {
      const int64_t t0 = MonotonicNs();
      fn(first++);
      const int64_t took = MonotonicNs() - t0;
      Record(*clock, took);
      if (took > kSlowNs) break;  // a device read: fan the rest out
    }
    if (first == n) return;
  }
  if (task::CurrentFiber() != nullptr) {
    // An event loop's task: the pool does the work while the loop serves others.
    queue(first, n, fn, n - first, clock)->wait();
    return;
  }
  if (n - first == 1) {
    fn(first);
    return;
  }
  // The caller works too, claiming indices like the pool threads.
  auto batch = queue(first, n, fn, n - first - 1, clock);
  batch->claim_and_run(nullptr);
  batch->wait();
}

int64_t WorkerPool::average_ns(TaskKind kind) const {
  return clocks_[static_cast<size_t>(kind)].load(std::memory_order_relaxed);
}

}  // namespace flashstor::object
