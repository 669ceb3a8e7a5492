// WorkerPool: fixed threads draining one FIFO of per-drive I/O tasks; quick kinds of work
// run on the caller (see worker_pool.h).
#include "flashstor/object/worker_pool.h"

#include <optional>

#include <time.h>

#include <algorithm>
#include <optional>
#include <system_error>
#include "flashstor/common/thread_name.h"

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
  base_threads_ = threads;
  max_spares_ = std::max(64, 4 * threads);
  for (auto& c : clocks_) c.store(0, std::memory_order_relaxed);
  for (int i = 0; i < threads; ++i) {
    threads_.emplace_back([this] {
      NameThisThread("fs-io");
      loop();
    });
  }
}

WorkerPool::~WorkerPool() {
  std::unique_lock<std::mutex> lock(mu_);
  stop_ = true;
  cv_.notify_all();
  lock.unlock();
  for (auto& t : threads_) t.join();
  // Spare threads are detached: wait until the last one has left (a straggler still hung in
  // its device holds this up, like a queued task does).
  lock.lock();
  spares_gone_.wait(lock, [this] { return spares_ == 0; });
}

void WorkerPool::straggler_started(int count) {
  std::lock_guard<std::mutex> lock(mu_);
  stragglers_ += count;
  while (!stop_ && spares_ < stragglers_ && spares_ < max_spares_) {
    try {
      std::thread([this] {
        NameThisThread("fs-io-spare");
        spare_loop();
      }).detach();
    } catch (const std::system_error&) {
      break;  // no thread to spare: the pool works on with what it has
    }
    ++spares_;
  }
}

void WorkerPool::straggler_done() {
  std::lock_guard<std::mutex> lock(mu_);
  --stragglers_;
  if (spares_ > stragglers_) cv_.notify_all();  // a spare may go
}

int WorkerPool::spare_threads() const {
  std::lock_guard<std::mutex> lock(mu_);
  return spares_;
}

void WorkerPool::spare_loop() {
  while (true) {
    std::function<void()> task;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return stop_ || !queue_.empty() || spares_ > stragglers_; });
      if (queue_.empty()) {
        // Stopping, or the straggler it stood in for is gone. Nothing of the pool is touched
        // after the unlock: the destructor may run as soon as spares_ reaches 0.
        if (--spares_ == 0) spares_gone_.notify_all();
        return;
      }
      task = std::move(queue_.front());
      queue_.pop_front();
    }
    task();
  }
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
      fn_(i);  // only while an index is left: the caller is still waiting, fn is alive
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
                                                     FunctionRef<void(size_t)> fn, size_t helpers,
                                                     std::atomic<int64_t>* clock) {
  auto batch = std::make_shared<Batch>(fn);
  batch->next_.store(first, std::memory_order_relaxed);
  batch->n_ = n;
  batch->pending_ = n - first;
  batch->clock_ = clock;
  {
    std::lock_guard<std::mutex> lock(mu_);
    try {
      for (size_t i = 0; i < helpers; ++i) {
        queue_.emplace_back([batch, this] { batch->claim_and_run(this); });
      }
      tasks_queued_.fetch_add(helpers, std::memory_order_relaxed);
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

std::shared_ptr<WorkerPool::Batch> WorkerPool::start(size_t n, FunctionRef<void(size_t)> fn) {
  return queue(0, n, fn, n, nullptr);
}

void WorkerPool::run(size_t n, FunctionRef<void(size_t)> fn, TaskKind kind) {
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

void WorkerPool::Stragglers::add(size_t i, int delta) {
  const int before = counts_[i].fetch_add(delta, std::memory_order_acq_rel);
  if (before == 0 && delta > 0) since_ns_[i].store(MonotonicNs(), std::memory_order_release);
}

bool WorkerPool::Stragglers::stuck(size_t i) const {
  const int count = at(i);
  if (count <= 0) return false;
  const int64_t age = MonotonicNs() - since_ns_[i].load(std::memory_order_acquire);
  return age >= (count >= 2 ? kStuckTwoAfterNs : kStuckAfterNs);
}

void WorkerPool::Stragglers::note_full(size_t i) {
  full_at_ns_[i].store(MonotonicNs(), std::memory_order_relaxed);
}

bool WorkerPool::Stragglers::recently_full(size_t i) const {
  const int64_t at = full_at_ns_[i].load(std::memory_order_relaxed);
  return at != 0 && MonotonicNs() - at < kFullForNs;
}

WorkerPool::FanOut::FanOut(WorkerPool* pool, size_t n, std::function<bool(size_t)> fn,
                           const QuorumPolicy& policy)
    : pool_(pool),
      fn_(std::move(fn)),
      n_(n),
      policy_(policy),
      started_ns_(MonotonicNs()),
      state_(n, kUnclaimed) {}

void WorkerPool::FanOut::claim_and_run() {
  while (true) {
    size_t i;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (abandoned_ || next_ >= n_) return;  // not started once the caller left: skipped
      i = next_++;
      state_[i] = kRunning;
    }
    if (i + 1 < n_) pool_->cv_.notify_one();  // work is left: wake one more thread
    bool ok = false, out_of_memory = false;
    try {
      ok = fn_(i);
    } catch (const std::bad_alloc&) {
      out_of_memory = true;
    }
    bool straggler;
    {
      std::lock_guard<std::mutex> lock(mu_);
      straggler = state_[i] == kAbandoned;
      state_[i] = kAnswered;
      if (!straggler) {
        ++(ok ? ok_ : failed_);
        ++answered_;
        out_of_memory_ = out_of_memory_ || out_of_memory;
        cv_.notify_all();
      }
    }
    if (straggler) {
      if (policy_.stragglers) policy_.stragglers->add(slot(i), -1);
      pool_->straggler_done();
    }
  }
}

std::vector<char> WorkerPool::FanOut::wait() {
  const size_t needed = std::min(policy_.needed, n_);
  const std::chrono::microseconds min_grace = pool_->min_grace();
  // The token's registration of this wait: made unlocked once the wait will park (so a fan-out
  // settled by its first look costs nothing), dropped after the lock below.
  std::optional<task::CancelToken::Watch> watch;
  std::unique_lock<std::mutex> lock(mu_);
  auto settled = [&] { return ok_ >= needed || failed_ > n_ - needed || answered_ == n_; };
  if (policy_.cancel.valid() && !settled()) {
    lock.unlock();
    watch.emplace(policy_.cancel, mu_, cv_);
    lock.lock();
  }
  auto settled_or_cancelled = [&] { return settled() || policy_.cancel.cancelled(); };
  // The latest moment to settle: max_wait after the start, or the request's deadline.
  using SteadyClock = std::chrono::steady_clock;
  const bool bounded =
      policy_.max_wait.count() > 0 || policy_.deadline != SteadyClock::time_point::max();
  SteadyClock::time_point end = policy_.deadline;
  if (policy_.max_wait.count() > 0) {
    const auto waited = std::chrono::microseconds((MonotonicNs() - started_ns_) / 1000);
    const auto max_wait = std::max(policy_.max_wait, min_grace);
    end = std::min(end, SteadyClock::now() + std::max(max_wait - waited, decltype(waited){0}));
  }
  bool in_time = true;
  if (bounded) {
    in_time = cv_.wait_for(lock, std::max(end - SteadyClock::now(), SteadyClock::duration{0}),
                           settled_or_cancelled);
  } else {
    cv_.wait(lock, settled_or_cancelled);
  }
  // Cancelled: nobody waits for the answer, so no grace either (as at the deadline).
  if (in_time && answered_ < n_ && !policy_.cancel.cancelled()) {
    const double settled_us = static_cast<double>(MonotonicNs() - started_ns_) / 1000.0;
    auto grace = std::chrono::microseconds(static_cast<int64_t>(settled_us * policy_.grace_factor));
    grace = std::clamp(grace, policy_.min_grace, policy_.max_grace);
    if (ok_ < needed) grace = std::max(grace, policy_.failure_grace);
    grace = std::max(grace, min_grace);
    // The grace never runs past the request's deadline either.
    const auto left = std::chrono::duration_cast<std::chrono::microseconds>(
        std::max(policy_.deadline - SteadyClock::now(), SteadyClock::duration{0}));
    if (policy_.deadline != SteadyClock::time_point::max()) grace = std::min(grace, left);
    cv_.wait_for(lock, grace, [&] { return answered_ == n_; });
  }
  abandoned_ = true;
  std::vector<char> answered(n_, 0);
  int running = 0;
  for (size_t i = 0; i < n_; ++i) {
    answered[i] = state_[i] == kAnswered;
    if (state_[i] == kRunning) {
      state_[i] = kAbandoned;
      ++running;
      if (policy_.stragglers) policy_.stragglers->add(slot(i), 1);
    }
  }
  // Under mu_, so no straggler reports done before it was counted.
  if (running > 0) pool_->straggler_started(running);
  if (out_of_memory_) throw std::bad_alloc();
  return answered;
}

void WorkerPool::FanOut::abandon() {
  std::lock_guard<std::mutex> lock(mu_);
  abandoned_ = true;
}

std::shared_ptr<WorkerPool::FanOut> WorkerPool::start_quorum(size_t n,
                                                             std::function<bool(size_t)> fn,
                                                             const QuorumPolicy& policy) {
  auto fan_out = std::make_shared<FanOut>(this, n, std::move(fn), policy);
  if (n == 0) return fan_out;
  {
    std::lock_guard<std::mutex> lock(mu_);
    try {
      for (size_t i = 0; i < n; ++i) queue_.emplace_back([fan_out] { fan_out->claim_and_run(); });
      tasks_queued_.fetch_add(n, std::memory_order_relaxed);
    } catch (const std::bad_alloc&) {
      fan_out->abandon();  // tasks already queued find nothing to run
      throw;
    }
  }
  cv_.notify_one();  // each woken thread wakes the next while indices are left
  return fan_out;
}

std::vector<char> WorkerPool::run_quorum(size_t n, std::function<bool(size_t)> fn,
                                         const QuorumPolicy& policy) {
  if (n == 0) return {};
  if (!policy.attempt) return start_quorum(n, std::move(fn), policy)->wait();
  std::vector<char> answered(n, 0);
  std::vector<size_t> rest;  // the tasks whose attempt would block, by index
  size_t ok = 0, failed = 0;
  for (size_t i = 0; i < n; ++i) {
    switch (policy.attempt(i)) {
      case Attempt::kSucceeded:
        answered[i] = 1;
        ++ok;
        break;
      case Attempt::kFailed:
        answered[i] = 1;
        ++failed;
        break;
      case Attempt::kWouldBlock:
        rest.push_back(i);
        break;
    }
  }
  if (rest.empty()) return answered;
  // The rest go to the pool as a fan-out of their own: settled by what the attempts left to
  // reach (nothing: they get the grace alone), abandoned and counted at their own index.
  QuorumPolicy pool_policy = policy;
  pool_policy.attempt = nullptr;
  pool_policy.needed = ok >= policy.needed ? 0 : policy.needed - ok;
  if (failed > n - std::min(policy.needed, n)) pool_policy.needed = 0;  // out of reach already
  pool_policy.straggler_index.clear();
  for (size_t i : rest) {
    pool_policy.straggler_index.push_back(
        policy.straggler_index.empty() ? i : policy.straggler_index[i]);
  }
  const std::vector<char> late =
      start_quorum(
          rest.size(), [rest, fn = std::move(fn)](size_t i) { return fn(rest[i]); }, pool_policy)
          ->wait();
  for (size_t i = 0; i < rest.size(); ++i) answered[rest[i]] = late[i];
  return answered;
}

int64_t WorkerPool::average_ns(TaskKind kind) const {
  return clocks_[static_cast<size_t>(kind)].load(std::memory_order_relaxed);
}

}  // namespace flashstor::object
