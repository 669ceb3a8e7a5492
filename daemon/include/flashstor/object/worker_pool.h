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
//
// Quorum fan-out (run_quorum): the caller returns as soon as enough tasks succeeded (or
// failures made that impossible), plus a short grace for late answers, so a hung or slow
// drive never holds a request. Its tasks run on pool threads, never on the caller: a task
// may block for as long as its device does, and the caller (a request's fiber) must not.
// Reads first try each task without blocking on the caller (QuorumPolicy::attempt: answers
// from the kernel's caches), so only the tasks that would block wake a pool thread.
// Tasks that have not answered by then are stragglers: they keep running, their answer
// is ignored, and tasks not yet started are skipped. OWNERSHIP RULE: a quorum task may
// outlive its caller, so it must never reach the caller's stack: fn is moved into the fan-
// out's shared state, and everything a task reads or writes must be captured by value
// (shared_ptr to per-task state, copies, or objects that outlive the pool such as the
// drives, captured as shared_ptr). The caller reads a task's state only when run_quorum
// reported it as answered (the answer happened before the return: the fan-out's mutex orders
// it); it never touches the state of one that did not answer. Each straggler still running
// holds a pool thread, so the pool starts a replacement thread for it (up to a cap), which
// ends once the straggler is gone; Stragglers counts them per index (per drive) so callers
// can skip a drive that still has a call stuck instead of queueing another one behind it.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <new>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "flashstor/task/cancel_token.h"
#include "flashstor/task/condition.h"

namespace flashstor::object {

// A non-owning reference to a callable, for WorkerPool::run and start: the callable lives in
// the caller's frame until the batch is done, so nothing needs copying. A std::function made
// from a lambda with more than two captures costs a heap allocation per call (every GET and
// HEAD makes several such calls); this costs none. Never store one past the callable's life.
template <class Signature>
class FunctionRef;

template <class R, class... Args>
class FunctionRef<R(Args...)> {
 public:
  // Any callable taking Args and returning R; it must outlive this reference.
  template <class F, std::enable_if_t<!std::is_same_v<std::remove_cvref_t<F>, FunctionRef> &&
                                          std::is_invocable_r_v<R, F&, Args...>,
                                      int> = 0>
  FunctionRef(F&& f) noexcept  // NOLINT(google-explicit-constructor): used like std::function
      : object_(const_cast<void*>(static_cast<const void*>(std::addressof(f)))),
        call_([](void* object, Args... args) -> R {
          return (*static_cast<std::remove_reference_t<F>*>(object))(std::forward<Args>(args)...);
        }) {}
  R operator()(Args... args) const { return call_(object_, std::forward<Args>(args)...); }

 private:
  void* object_;
  R (*call_)(void*, Args...);
};

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
    explicit Batch(FunctionRef<void(size_t)> fn) : fn_(fn) {}
    void wait();  // rethrows std::bad_alloc if a task ran out of memory

   private:
    friend class WorkerPool;
    void claim_and_run(WorkerPool* pool);  // pool: a pool thread, which may wake another
    std::atomic<size_t> next_{0};
    size_t n_ = 0;
    const FunctionRef<void(size_t)> fn_;
    std::atomic<int64_t>* clock_ = nullptr;  // the kind's moving average, or null
    std::mutex mu_;
    task::Condition cv_;  // a request task parks here; a plain thread blocks
    size_t pending_ = 0;
    std::atomic<bool> out_of_memory_{false};
  };

  // Queues fn(0..n-1); returns a batch to wait() on. fn must outlive the wait.
  std::shared_ptr<Batch> start(size_t n, FunctionRef<void(size_t)> fn);
  // Runs fn(0..n-1) and waits for all: in parallel, the calling thread included, or, for a
  // quick kind, on the calling thread until a task turns out slow. A request task (a fiber on
  // an event loop) never runs slow work itself: it hands every task to the pool and parks
  // until the last one completes, so its loop keeps serving other connections.
  // No deadline, on purpose: its tasks may reach the caller's stack (FunctionRef), so the
  // caller cannot return before every task has finished. Waits that a request's deadline must
  // bound are quorum fan-outs (run_quorum), whose tasks own what they touch.
  void run(size_t n, FunctionRef<void(size_t)> fn, TaskKind kind = TaskKind::kFanOut);

  // Abandoned tasks still running, per index of a fan-out (per drive of a set): shared by
  // the fan-outs of one set and kept alive by every task that counts in it.
  class Stragglers {
   public:
    // An index (a drive) counts as stuck once it has had stragglers for kStuckAfterNs, or two
    // at once for kStuckTwoAfterNs: one that missed the grace on a busy machine and answers a
    // moment later does not get its drive skipped (which could cost a write its quorum when
    // another drive fails), while a hung drive is skipped within tens of milliseconds.
    static constexpr int64_t kStuckAfterNs = 100'000'000;
    static constexpr int64_t kStuckTwoAfterNs = 20'000'000;
    // A drive that answered kDiskFull counts as full for this long: deciding whether the
    // others make a write's quorum without a stuck drive, a drive that just ran out of space
    // is not counted on (it would fail the write after the stuck one had been left out).
    static constexpr int64_t kFullForNs = 10'000'000'000;
    explicit Stragglers(size_t n) : counts_(n), since_ns_(n), full_at_ns_(n) {}
    int at(size_t i) const { return counts_[i].load(std::memory_order_acquire); }
    // Whether index i counts as stuck (see kStuckAfterNs).
    bool stuck(size_t i) const;
    size_t size() const { return counts_.size(); }
    void add(size_t i, int delta);
    void note_full(size_t i);            // index i answered kDiskFull now
    bool recently_full(size_t i) const;  // within kFullForNs of note_full(i)

   private:
    std::vector<std::atomic<int>> counts_;
    std::vector<std::atomic<int64_t>> since_ns_;    // when counts_[i] last left 0
    std::vector<std::atomic<int64_t>> full_at_ns_;  // last note_full(i), 0: never
  };

  // What a non-blocking attempt of a task on the caller's thread did (QuorumPolicy::attempt).
  enum class Attempt : uint8_t { kSucceeded, kFailed, kWouldBlock };

  struct QuorumPolicy {
    size_t needed = 0;  // successes that settle the fan-out
    // Once settled, unanswered tasks get a grace of the time it took to settle times
    // grace_factor, within [min_grace, max_grace]: a healthy set's last drives answer within
    // it (their results are used, no heal is queued), and a hung drive costs at most that.
    double grace_factor = 1.0;
    std::chrono::microseconds min_grace{200};
    std::chrono::microseconds max_grace{20'000};
    // Settled by failures (the quorum is out of reach): the rest get this long, so the
    // answer says what they did (a drive full or lost) unless one hangs.
    std::chrono::microseconds failure_grace{50'000};
    // Non-zero: settled at the latest this long after the start, whatever answered (a step
    // that waits for every drive, such as a cleanup, bounded for a drive that hangs in it).
    std::chrono::microseconds max_wait{0};
    // The request's deadline (RequestContext::deadline): the fan-out settles then at the
    // latest with whatever answered, and no grace follows, so a request whose drives hang
    // (more than parity can stand in for) ends on time with a quorum failure.
    std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
    // The request's cancel token (RequestContext::cancel): once it fires (the client went
    // away), the fan-out settles at once as at the deadline; the tasks left are stragglers.
    task::CancelToken cancel;
    std::shared_ptr<Stragglers> stragglers;  // optional: counts abandoned tasks by index
    std::vector<size_t> straggler_index;     // task i counts at this index (empty: at i)
    // Optional (run_quorum only): tries every task on the calling thread first, without
    // blocking (a read answered from the kernel's caches). Tasks it answers count as answered
    // in time; only those that would block go to the pool, needing what the attempts left to
    // reach. A request whose reads all hit the caches costs no thread wake-up: waking one,
    // with the two context switches and the caller's park and resume, costs more than the
    // reads. It must not block and may touch the caller's stack (it runs before the return).
    std::function<Attempt(size_t)> attempt;
  };
  class FanOut;
  // Runs fn(0..n-1) on the pool (never on the caller, except policy.attempt's non-blocking
  // tries); fn returns whether its task succeeded. Returns once policy.needed tasks succeeded, or
  // so many failed that they cannot, or all answered, plus the grace; answered[i] tells which tasks
  // answered in time (only their results may be read). See the ownership rule above. Rethrows
  // std::bad_alloc of a task that answered in time.
  std::vector<char> run_quorum(size_t n, std::function<bool(size_t)> fn,
                               const QuorumPolicy& policy);
  // The same in two steps, so the caller works meanwhile (a PUT reads its next block):
  // start_quorum queues the tasks, FanOut::wait() is run_quorum's return. Call wait() once.
  std::shared_ptr<FanOut> start_quorum(size_t n, std::function<bool(size_t)> fn,
                                       const QuorumPolicy& policy);

  // The least grace every quorum fan-out of this pool gives the tasks that have not answered
  // once it settled, and the least max_wait (0, the default: each policy's own). Tests that
  // check every drive's files right after a write set a generous one (EngineConfig::
  // min_quorum_grace_ms), so a drive slowed down by a loaded machine is waited for instead of
  // left out of the object (and healed later); a hung drive then costs that long per fan-out.
  void set_min_grace(std::chrono::microseconds grace) {
    min_grace_us_.store(grace.count(), std::memory_order_relaxed);
  }
  std::chrono::microseconds min_grace() const {
    return std::chrono::microseconds(min_grace_us_.load(std::memory_order_relaxed));
  }

  // Moving average of a kind's task time (tests, metrics).
  int64_t average_ns(TaskKind kind) const;
  // Threads started to stand in for stragglers, still alive (tests, metrics).
  int spare_threads() const;
  // Queue entries made so far (one per pool thread a fan-out may wake): tests, metrics.
  uint64_t tasks_queued() const { return tasks_queued_.load(std::memory_order_relaxed); }

 private:
  friend class FanOut;
  void straggler_started(int count);  // starts spare threads so count stragglers cost none
  void straggler_done();
  void spare_loop();
  std::shared_ptr<Batch> queue(size_t first, size_t n, FunctionRef<void(size_t)> fn, size_t helpers,
                               std::atomic<int64_t>* clock);
  void loop();

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
  bool stop_ = false;
  std::vector<std::thread> threads_;
  // Spare threads are detached; the destructor waits for spares_ to reach 0.
  int base_threads_ = 0;
  int stragglers_ = 0;  // abandoned tasks still running
  int spares_ = 0;      // spare threads alive
  int max_spares_ = 0;
  std::condition_variable spares_gone_;
  std::array<std::atomic<int64_t>, static_cast<size_t>(TaskKind::kCount)> clocks_{};
  std::atomic<uint64_t> tasks_queued_{0};
  std::atomic<int64_t> min_grace_us_{0};
};

// The shared state of one quorum fan-out: owned by the caller while it waits and by every
// queued or running task, so a straggler keeps it (and fn's captures) alive after the caller
// returned.
class WorkerPool::FanOut {
 public:
  FanOut(WorkerPool* pool, size_t n, std::function<bool(size_t)> fn, const QuorumPolicy& policy);
  // The caller: waits until settled, then the grace; abandons what is left (tasks not started
  // are skipped, running ones become stragglers). Returns which tasks answered in time.
  std::vector<char> wait();

 private:
  friend class WorkerPool;
  enum State : uint8_t { kUnclaimed, kRunning, kAnswered, kAbandoned };
  void claim_and_run();  // a pool thread: claims and runs indices until none is left
  void abandon();
  size_t slot(size_t i) const {
    return policy_.straggler_index.empty() ? i : policy_.straggler_index[i];
  }

  WorkerPool* const pool_;  // outlives every task (its destructor drains them)
  const std::function<bool(size_t)> fn_;
  const size_t n_;
  const QuorumPolicy policy_;  // its stragglers: kept alive by every task
  const int64_t started_ns_;
  std::mutex mu_;
  task::Condition cv_;  // a request task parks here; a plain thread blocks
  size_t next_ = 0;
  size_t ok_ = 0, failed_ = 0, answered_ = 0;
  std::vector<State> state_;
  bool abandoned_ = false;
  bool out_of_memory_ = false;
};

}  // namespace flashstor::object
