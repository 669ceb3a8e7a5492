// Unit tests of the WorkerPool: every index runs exactly once; fan-out runs slow tasks in
// parallel; quick kinds stay on the calling thread and fan out once a task is slow; start()
// runs in the background until wait().
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <new>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "flashstor/object/worker_pool.h"

#include "cmocka_cpp.h"

using flashstor::object::TaskKind;
using flashstor::object::WorkerPool;

namespace {

double Seconds(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

void test_every_index_once(void**) {
  WorkerPool pool(4);
  for (TaskKind kind : {TaskKind::kFanOut, TaskKind::kMetadataRead, TaskKind::kShardRead}) {
    for (size_t n : {0, 1, 2, 7, 64}) {
      std::vector<std::atomic<int>> hits(n);
      pool.run(
          n, [&](size_t i) { ++hits[i]; }, kind);
      for (size_t i = 0; i < n; ++i) assert_int_equal(hits[i].load(), 1);
    }
  }
}

void test_fan_out_is_parallel(void**) {
  WorkerPool pool(4);
  auto t0 = std::chrono::steady_clock::now();
  pool.run(4, [](size_t) { usleep(100'000); });
  assert_true(Seconds(t0) < 0.3);  // sequential would take 0.4 s
}

void test_quick_kind_stays_on_caller(void**) {
  WorkerPool pool(4);
  const auto me = std::this_thread::get_id();
  std::atomic<int> elsewhere{0};
  for (int round = 0; round < 50; ++round) {
    pool.run(
        4, [&](size_t) { elsewhere += std::this_thread::get_id() != me; }, TaskKind::kMetadataRead);
  }
  // 200 trivial tasks: all on the caller, unless a preempted one (a busy CI machine) pushed
  // the average up for a batch or two.
  assert_true(elsewhere.load() < 20);
}

void test_slow_task_fans_the_rest_out(void**) {
  WorkerPool pool(4);
  const auto me = std::this_thread::get_id();
  std::mutex mu;
  std::set<std::thread::id> threads;
  auto t0 = std::chrono::steady_clock::now();
  // The first task (on the caller) is slow, so the other three run in parallel.
  pool.run(
      4,
      [&](size_t) {
        usleep(100'000);
        std::lock_guard<std::mutex> lock(mu);
        threads.insert(std::this_thread::get_id());
      },
      TaskKind::kShardRead);
  assert_true(Seconds(t0) < 0.35);  // 0.1 s alone, then 0.1 s for the rest in parallel
  assert_true(threads.size() >= 2 && threads.count(me) == 1);
  // The kind is now known to be slow: the next batch fans out from the start.
  assert_true(pool.average_ns(TaskKind::kShardRead) >= WorkerPool::QuickNs(TaskKind::kShardRead));
  t0 = std::chrono::steady_clock::now();
  pool.run(
      4, [](size_t) { usleep(100'000); }, TaskKind::kShardRead);
  assert_true(Seconds(t0) < 0.3);
}

void test_start_runs_in_background(void**) {
  WorkerPool pool(2);
  std::atomic<int> done{0};
  std::function<void(size_t)> fn = [&](size_t) {
    usleep(20'000);
    ++done;
  };
  auto batch = pool.start(3, fn);
  batch->wait();
  assert_int_equal(done.load(), 3);
}

// A task that runs out of memory on a pool thread must not end the process: the batch
// finishes and the caller gets the std::bad_alloc (the request boundary answers 503).
void test_bad_alloc_in_a_task_reaches_the_caller(void**) {
  WorkerPool pool(4);
  const auto caller = std::this_thread::get_id();
  for (int round = 0; round < 3; ++round) {
    std::atomic<int> done{0};
    std::atomic<bool> thrown{false};
    bool caught = false;
    try {
      pool.run(8, [&](size_t) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
        if (std::this_thread::get_id() != caller && !thrown.exchange(true)) {
          throw std::bad_alloc();
        }
        ++done;
      });
    } catch (const std::bad_alloc&) {
      caught = true;
    }
    assert_true(thrown.load());
    assert_true(caught);
    assert_int_equal(done.load(), 7);  // every other task ran before run() returned
  }
  std::atomic<int> after{0};
  pool.run(8, [&](size_t) { ++after; });
  assert_int_equal(after.load(), 8);
}

// A gate a test opens to release the tasks it holds (a hung drive).
struct Gate {
  std::mutex mu;
  std::condition_variable cv;
  bool open = false;
  void wait() {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [this] { return open; });
  }
  void release() {
    std::lock_guard<std::mutex> lock(mu);
    open = true;
    cv.notify_all();
  }
};

// run_quorum returns once `needed` tasks succeeded plus a short grace, while one task hangs;
// the straggler keeps the state it owns (shared_ptr) alive, is counted at its index, gets a
// spare thread, and is gone (and its spare with it) once released.
void test_quorum_returns_without_the_hung_task(void**) {
  WorkerPool pool(4);
  auto gate = std::make_shared<Gate>();
  auto results = std::make_shared<std::vector<int>>(4, 0);
  auto stragglers = std::make_shared<WorkerPool::Stragglers>(4);
  WorkerPool::QuorumPolicy policy;
  policy.needed = 3;
  policy.stragglers = stragglers;
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<char> answered = pool.run_quorum(
      4,
      [gate, results](size_t i) {
        if (i == 2) gate->wait();
        (*results)[i] = static_cast<int>(i) + 1;
        return true;
      },
      policy);
  assert_true(Seconds(t0) < 0.5);
  assert_int_equal(answered.size(), 4);
  assert_true(answered[0] && answered[1] && !answered[2] && answered[3]);
  assert_int_equal((*results)[0] + (*results)[1] + (*results)[3], 1 + 2 + 4);
  assert_int_equal(stragglers->at(2), 1);
  assert_int_equal(pool.spare_threads(), 1);
  // The pool still has all its threads for others.
  std::atomic<int> ran{0};
  pool.run(8, [&](size_t) { ++ran; });
  assert_int_equal(ran.load(), 8);
  std::weak_ptr<std::vector<int>> weak = results;
  results.reset();
  assert_false(weak.expired());  // the straggler owns it still
  gate->release();
  for (int i = 0; i < 200 && (stragglers->at(2) != 0 || !weak.expired()); ++i) usleep(5'000);
  assert_int_equal(stragglers->at(2), 0);
  assert_true(weak.expired());
  for (int i = 0; i < 200 && pool.spare_threads() != 0; ++i) usleep(5'000);
  assert_int_equal(pool.spare_threads(), 0);
}

// More tasks hang than the quorum can stand: the fan-out settles at the request's deadline
// with what answered (the quorum out of reach), not when the hung tasks come back. The same
// through start_quorum (a PUT's stripe writes) and with non-blocking attempts (a GET's reads).
void test_quorum_settles_at_the_deadline(void**) {
  WorkerPool pool(4);
  auto gate = std::make_shared<Gate>();
  for (int variant = 0; variant < 3; ++variant) {
    WorkerPool::QuorumPolicy policy;
    policy.needed = 3;
    policy.failure_grace = std::chrono::seconds(5);  // the deadline cuts this too
    if (variant == 2) {
      policy.attempt = [](size_t i) {
        return i == 0 ? WorkerPool::Attempt::kSucceeded : WorkerPool::Attempt::kWouldBlock;
      };
    }
    const auto t0 = std::chrono::steady_clock::now();
    policy.deadline = t0 + std::chrono::milliseconds(300);
    auto fn = [gate](size_t i) {
      if (i >= 2) gate->wait();  // two of four hang: a quorum of three is out of reach
      return true;
    };
    std::vector<char> answered =
        variant == 1 ? pool.start_quorum(4, fn, policy)->wait() : pool.run_quorum(4, fn, policy);
    const double took = Seconds(t0);
    assert_true(took >= 0.29);
    assert_true(took < 1.5);
    assert_true(answered[0] && answered[1] && !answered[2] && !answered[3]);
  }
  // A deadline already passed: what the attempts answered, nothing more.
  WorkerPool::QuorumPolicy late;
  late.needed = 2;
  late.deadline = std::chrono::steady_clock::now() - std::chrono::milliseconds(1);
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<char> answered = pool.run_quorum(
      2,
      [gate](size_t) {
        gate->wait();
        return true;
      },
      late);
  assert_true(Seconds(t0) < 0.5);
  assert_true(!answered[0] && !answered[1]);
  gate->release();
  for (int i = 0; i < 400 && pool.spare_threads() != 0; ++i) usleep(5'000);
  assert_int_equal(pool.spare_threads(), 0);
}

// A deadline that does not come into play changes nothing: a healthy fan-out settles at its
// quorum, and its grace still waits for the last task.
void test_quorum_deadline_far_away_changes_nothing(void**) {
  WorkerPool pool(4);
  WorkerPool::QuorumPolicy policy;
  policy.needed = 2;
  policy.min_grace = policy.max_grace = std::chrono::seconds(1);  // ends when all answered
  policy.deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<char> answered = pool.run_quorum(
      4,
      [](size_t i) {
        if (i == 3) usleep(2'000);
        return true;
      },
      policy);
  assert_true(Seconds(t0) < 1.0);
  for (char a : answered) assert_true(a);
}

// A pool's minimum grace (tests: EngineConfig::min_quorum_grace_ms) has a fan-out wait for a
// task that answers well after the policy's grace, and bounds a cleanup's max_wait from
// below; a hung task is still left behind once it ran out.
void test_quorum_min_grace_waits_for_a_late_task(void**) {
  WorkerPool pool(4);
  WorkerPool::QuorumPolicy policy;
  policy.needed = 3;
  policy.max_grace = std::chrono::microseconds(1'000);
  auto held = std::make_shared<Gate>();
  std::vector<char> answered = pool.run_quorum(
      4,
      [held](size_t i) {
        if (i == 2) held->wait();
        return true;
      },
      policy);
  assert_false(answered[2]);  // without it, the policy's grace leaves a late task behind
  held->release();
  auto late_task = [](size_t i) {
    if (i == 2) usleep(100'000);  // 100 x the policy's grace
    return true;
  };
  pool.set_min_grace(std::chrono::seconds(5));
  answered = pool.run_quorum(4, late_task, policy);
  assert_true(answered[0] && answered[1] && answered[2] && answered[3]);
  WorkerPool::QuorumPolicy cleanup;
  cleanup.needed = 4;
  cleanup.max_wait = std::chrono::microseconds(1'000);
  answered = pool.run_quorum(4, late_task, cleanup);
  assert_true(answered[2]);
  // A hung task costs the minimum grace, then the fan-out returns without it.
  pool.set_min_grace(std::chrono::milliseconds(200));
  auto gate = std::make_shared<Gate>();
  const auto t0 = std::chrono::steady_clock::now();
  answered = pool.run_quorum(
      4,
      [gate](size_t i) {
        if (i == 1) gate->wait();
        return true;
      },
      policy);
  const double waited = Seconds(t0);
  assert_true(waited >= 0.2 && waited < 5);
  assert_false(answered[1]);
  gate->release();
  for (int i = 0; i < 200 && pool.spare_threads() != 0; ++i) usleep(5'000);
}

// Non-blocking attempts on the caller: when they all answer, no pool thread is woken and fn
// never runs; tasks whose attempt would block go to the pool, needing only what the attempts
// left to reach, and one of them hanging does not hold the caller.
void test_quorum_attempts_answer_on_the_caller(void**) {
  using Attempt = WorkerPool::Attempt;
  WorkerPool pool(2);
  std::atomic<int> pool_runs{0};
  WorkerPool::QuorumPolicy policy;
  policy.needed = 3;
  const std::thread::id caller = std::this_thread::get_id();
  std::vector<std::thread::id> attempted_on(4);
  policy.attempt = [&](size_t i) {
    attempted_on[i] = std::this_thread::get_id();
    return i == 1 ? Attempt::kFailed : Attempt::kSucceeded;
  };
  const uint64_t queued = pool.tasks_queued();
  std::vector<char> answered = pool.run_quorum(
      4,
      [&pool_runs](size_t) {
        ++pool_runs;
        return true;
      },
      policy);
  assert_int_equal(pool.tasks_queued(), queued);  // nothing went to the pool
  assert_int_equal(pool_runs.load(), 0);
  for (size_t i = 0; i < 4; ++i) {
    assert_true(answered[i]);
    assert_true(attempted_on[i] == caller);
  }

  // Drives 2 and 3 would block: they go to the pool; 3 hangs. Two attempts succeeded, so
  // one pool answer settles it and 3 is left behind after the grace.
  auto gate = std::make_shared<Gate>();
  auto stragglers = std::make_shared<WorkerPool::Stragglers>(4);
  policy.stragglers = stragglers;
  policy.attempt = [](size_t i) { return i >= 2 ? Attempt::kWouldBlock : Attempt::kSucceeded; };
  auto ran = std::make_shared<std::vector<std::atomic<int>>>(4);
  const auto t0 = std::chrono::steady_clock::now();
  answered = pool.run_quorum(
      4,
      [gate, ran](size_t i) {
        ++(*ran)[i];
        if (i == 3) gate->wait();
        return true;
      },
      policy);
  assert_true(Seconds(t0) < 0.5);
  assert_true(answered[0] && answered[1] && answered[2] && !answered[3]);
  assert_int_equal((*ran)[0].load() + (*ran)[1].load(), 0);  // answered on the caller
  assert_int_equal((*ran)[2].load(), 1);
  assert_int_equal(stragglers->at(3), 1);  // counted at its own index, not at 1
  gate->release();
  for (int i = 0; i < 200 && stragglers->at(3) != 0; ++i) usleep(5'000);
  assert_int_equal(stragglers->at(3), 0);
}

// Failures that make the quorum impossible settle at once; a healthy batch answers in full
// (the grace is not a fixed wait: every task answered, nobody is left behind).
void test_quorum_failures_and_healthy_batches(void**) {
  WorkerPool pool(4);
  auto gate = std::make_shared<Gate>();
  WorkerPool::QuorumPolicy policy;
  policy.needed = 3;
  const auto t0 = std::chrono::steady_clock::now();
  auto answered = pool.run_quorum(
      4,
      [gate](size_t i) {
        if (i == 0) gate->wait();
        return i == 1;  // 2 and 3 fail: 3 successes are out of reach
      },
      policy);
  assert_true(Seconds(t0) < 0.5);
  assert_true(!answered[0] && answered[1] && answered[2] && answered[3]);
  gate->release();
  for (int round = 0; round < 100; ++round) {
    auto all = pool.run_quorum(
        4,
        [](size_t) {
          usleep(100);
          return true;
        },
        policy);
    int n = 0;
    for (char a : all) n += a;
    assert_true(n >= 3);
  }
}

// Many fan-outs with a task that hangs until released: no use of freed memory (run under
// ASan/TSan), every index still counted right after the release.
void test_quorum_stress_with_stragglers(void**) {
  WorkerPool pool(4);
  auto gate = std::make_shared<Gate>();
  auto stragglers = std::make_shared<WorkerPool::Stragglers>(4);
  std::vector<std::thread> callers;
  std::atomic<int> settled{0};
  for (int c = 0; c < 4; ++c) {
    callers.emplace_back([&, c] {
      for (int round = 0; round < 50; ++round) {
        auto buffers = std::make_shared<std::vector<std::string>>(4);
        WorkerPool::QuorumPolicy policy;
        policy.needed = 3;
        policy.stragglers = stragglers;
        auto answered = pool.run_quorum(
            4,
            [gate, buffers, hang = round % 10 == c](size_t i) {
              if (hang && i == 3) gate->wait();
              (*buffers)[i].assign(1000, static_cast<char>('a' + i));
              return true;
            },
            policy);
        int n = 0;
        for (size_t i = 0; i < 4; ++i) {
          if (answered[i]) n += (*buffers)[i].size() == 1000;
        }
        settled += n >= 3;
      }
    });
  }
  for (auto& t : callers) t.join();
  assert_int_equal(settled.load(), 200);
  gate->release();
  for (int i = 0; i < 400 && stragglers->at(3) != 0; ++i) usleep(5'000);
  assert_int_equal(stragglers->at(3), 0);
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_every_index_once),
      cmocka_unit_test(test_fan_out_is_parallel),
      cmocka_unit_test(test_quick_kind_stays_on_caller),
      cmocka_unit_test(test_slow_task_fans_the_rest_out),
      cmocka_unit_test(test_start_runs_in_background),
      cmocka_unit_test(test_bad_alloc_in_a_task_reaches_the_caller),
      cmocka_unit_test(test_quorum_returns_without_the_hung_task),
      cmocka_unit_test(test_quorum_settles_at_the_deadline),
      cmocka_unit_test(test_quorum_deadline_far_away_changes_nothing),
      cmocka_unit_test(test_quorum_min_grace_waits_for_a_late_task),
      cmocka_unit_test(test_quorum_attempts_answer_on_the_caller),
      cmocka_unit_test(test_quorum_failures_and_healthy_batches),
      cmocka_unit_test(test_quorum_stress_with_stragglers),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
