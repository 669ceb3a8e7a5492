// Unit tests of the WorkerPool: every index runs exactly once; fan-out runs slow tasks in
// parallel; quick kinds stay on the calling thread and fan out once a task is slow; start()
// runs in the background until wait().
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <new>
#include <set>
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

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_every_index_once),
      cmocka_unit_test(test_fan_out_is_parallel),
      cmocka_unit_test(test_quick_kind_stays_on_caller),
      cmocka_unit_test(test_slow_task_fans_the_rest_out),
      cmocka_unit_test(test_start_runs_in_background),
      cmocka_unit_test(test_bad_alloc_in_a_task_reaches_the_caller),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
