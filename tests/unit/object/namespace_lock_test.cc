// Unit tests of NamespaceLock: shared readers, exclusive writers, timeouts, independence of
// resources, cleanup of idle entries, mutual exclusion under contention, fencing tokens and
// leases of write and read locks (Locker).
#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "flashstor/object/namespace_lock.h"
#include "flashstor/object/request_context.h"

#include "cmocka_cpp.h"

using flashstor::Code;
using flashstor::object::NamespaceLock;
using namespace std::chrono_literals;

namespace {

void test_readers_share_writers_exclude(void**) {
  NamespaceLock locks;
  auto r1 = locks.lock("b/k", false, 10ms);
  auto r2 = locks.lock("b/k", false, 10ms);
  assert_true(r1.has_value() && r2.has_value());
  auto w = locks.lock("b/k", true, 20ms);
  assert_false(w.has_value());
  assert_int_equal(w.error().code(), Code::kDeadlineExceeded);
  assert_true(locks.lock("b/other", true, 10ms).has_value());  // other keys are free
  r1->release();
  r2->release();
  auto w2 = locks.lock("b/k", true, 10ms);
  assert_true(w2.has_value());
  assert_false(locks.lock("b/k", false, 10ms).has_value());
  w2->release();
  assert_int_equal(locks.active(), 0);
}

void test_guard_moves_and_releases(void**) {
  NamespaceLock locks;
  {
    auto g = locks.lock("x", true);
    NamespaceLock::Guard moved = std::move(*g);
    assert_true(moved.held());
    assert_false(g->held());
    assert_int_equal(locks.active(), 1);
  }
  assert_int_equal(locks.active(), 0);
  assert_true(locks.lock("x", true, 10ms).has_value());
}

void test_writer_waits_then_proceeds(void**) {
  NamespaceLock locks;
  auto r = locks.lock("k", false);
  std::atomic<bool> got{false};
  std::thread t([&] {
    auto w = locks.lock("k", true, 2000ms);
    got = w.has_value();
  });
  std::this_thread::sleep_for(50ms);
  assert_false(got.load());
  r->release();
  t.join();
  assert_true(got.load());
}

void test_mutual_exclusion_under_contention(void**) {
  NamespaceLock locks;
  int counter = 0;  // unsynchronized on purpose: only the lock protects it
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 2000; ++i) {
        auto g = locks.lock("hot", true);
        if (g) ++counter;
      }
    });
  }
  for (auto& t : threads) t.join();
  assert_int_equal(counter, 16000);
  assert_int_equal(locks.active(), 0);
}

// Readers that keep overlapping (the lock is never free) must not starve a writer: once it
// waits, new readers queue behind it.
void test_writer_not_starved_by_overlapping_readers(void**) {
  NamespaceLock locks;
  std::atomic<bool> stop{false};
  std::vector<std::thread> readers;
  for (int t = 0; t < 4; ++t) {
    readers.emplace_back([&] {
      while (!stop) {
        auto g = locks.lock("hot", false, 5000ms);
        std::this_thread::sleep_for(2ms);
      }
    });
  }
  std::this_thread::sleep_for(20ms);
  for (int i = 0; i < 5; ++i) {
    auto start = std::chrono::steady_clock::now();
    auto w = locks.lock("hot", true, 1000ms);
    assert_true(w.has_value());
    assert_true(std::chrono::steady_clock::now() - start < 500ms);
    w->release();
    std::this_thread::sleep_for(5ms);
  }
  stop = true;
  for (auto& t : readers) t.join();
  assert_int_equal(locks.active(), 0);
}

// Writers that keep queueing must not starve readers either: a reader that waited through a
// writer's turn goes before the next writer.
void test_reader_not_starved_by_queued_writers(void**) {
  NamespaceLock locks;
  std::atomic<bool> stop{false};
  std::vector<std::thread> writers;
  for (int t = 0; t < 3; ++t) {
    writers.emplace_back([&] {
      while (!stop) {
        auto g = locks.lock("hot", true, 5000ms);
        std::this_thread::sleep_for(2ms);
      }
    });
  }
  std::this_thread::sleep_for(20ms);
  for (int i = 0; i < 5; ++i) {
    auto start = std::chrono::steady_clock::now();
    auto r = locks.lock("hot", false, 1000ms);
    assert_true(r.has_value());
    assert_true(std::chrono::steady_clock::now() - start < 500ms);
    r->release();
  }
  stop = true;
  for (auto& t : writers) t.join();
  assert_int_equal(locks.active(), 0);
}

// A writer that gives up lets the readers it held back in.
void test_timed_out_writer_releases_readers(void**) {
  NamespaceLock locks;
  auto r = locks.lock("k", false);
  std::thread w([&] { assert_false(locks.lock("k", true, 100ms).has_value()); });
  std::this_thread::sleep_for(20ms);
  auto start = std::chrono::steady_clock::now();
  auto r2 = locks.lock("k", false, 2000ms);  // queued behind the writer until it times out
  assert_true(r2.has_value());
  assert_true(std::chrono::steady_clock::now() - start < 1000ms);
  w.join();
}

// Fencing tokens: every write lock gets a larger one; only the live holder's passes.
void test_fence_tokens_increase_and_stale_ones_are_refused(void**) {
  NamespaceLock locks;
  uint64_t first = 0;
  {
    auto w = locks.lock("b/k", true, 10ms);
    assert_true(w.has_value());
    first = w->fence();
    assert_true(first > 0);
    assert_true(locks.check_fence("b/k", first).ok());
    assert_true(locks.check(*w).ok());
    assert_int_equal(locks.check_fence("b/other", first).code(), Code::kDeadlineExceeded);
  }
  auto r = locks.lock("b/k", false, 10ms);
  assert_true(r.has_value());
  assert_int_equal(r->fence(), 0);
  assert_true(locks.check(*r).ok());  // a read lock fences nothing
  // The released holder's token is stale, also while nobody holds the lock.
  assert_int_equal(locks.check_fence("b/k", first).code(), Code::kDeadlineExceeded);
  r->release();
  auto w2 = locks.lock("b/k", true, 10ms);
  assert_true(w2.has_value());
  assert_true(w2->fence() > first);
  assert_int_equal(locks.check_fence("b/k", first).code(), Code::kDeadlineExceeded);
  assert_true(locks.check_fence("b/k", w2->fence()).ok());
}

// Without a lease (in-process default) a write lock never expires.
void test_default_lease_never_expires(void**) {
  NamespaceLock locks;
  auto w = locks.lock("b/k", true, 10ms);
  assert_true(w.has_value());
  assert_false(locks.lock("b/k", true, 60ms).has_value());
  assert_true(locks.check(*w).ok());
  assert_true(locks.refresh(*w).ok());
}

// A holder that does not refresh its lease loses the lock: a waiting writer reclaims it,
// the old token is refused at commit, and the old holder's release leaves the new one be.
void test_expired_lease_is_reclaimed_and_fenced(void**) {
  NamespaceLock locks(50ms);
  auto old = locks.lock("b/k", true, 10ms);
  assert_true(old.has_value());
  const auto started = std::chrono::steady_clock::now();
  auto next = locks.lock("b/k", true, 2000ms);  // waits for the lease to run out
  assert_true(next.has_value());
  assert_true(std::chrono::steady_clock::now() - started >= 40ms);
  assert_int_equal(locks.check(*old).code(), Code::kDeadlineExceeded);
  assert_int_equal(locks.refresh(*old).code(), Code::kDeadlineExceeded);
  assert_true(locks.check(*next).ok());
  old->release();  // stale: must not release next's lock
  assert_false(locks.lock("b/k", false, 10ms).has_value());
  assert_true(locks.check(*next).ok());
  next->release();
  assert_true(locks.lock("b/k", false, 10ms).has_value());
}

// A holder that refreshes keeps its lock past the lease; one that stops loses it even with
// nobody waiting, and a reader then gets in.
void test_refreshed_lease_is_kept(void**) {
  NamespaceLock locks(80ms);
  auto w = locks.lock("b/k", true, 10ms);
  assert_true(w.has_value());
  for (int i = 0; i < 5; ++i) {
    std::this_thread::sleep_for(30ms);
    assert_true(locks.refresh(*w).ok());
  }
  assert_true(locks.check(*w).ok());  // 150 ms held on an 80 ms lease
  assert_false(locks.lock("b/k", false, 20ms).has_value());
  std::this_thread::sleep_for(100ms);
  assert_int_equal(locks.check(*w).code(), Code::kDeadlineExceeded);
  assert_true(locks.lock("b/k", false, 10ms).has_value());
}

// A read lock whose holder never releases (a crashed node) expires with its lease: a writer
// waiting behind it reclaims it at the lease end instead of waiting forever.
void test_expired_read_lease_lets_a_writer_in(void**) {
  NamespaceLock locks(100ms);
  auto stuck = locks.lock("b/k", false, 10ms);
  assert_true(stuck.has_value());
  assert_int_equal(stuck->fence(), 0);  // a read lock fences nothing, leased or not
  const auto started = std::chrono::steady_clock::now();
  auto w = locks.lock("b/k", true, 2000ms);
  assert_true(w.has_value());
  const auto waited = std::chrono::steady_clock::now() - started;
  assert_true(waited >= 90ms);
  assert_true(waited < 1500ms);  // woken at the lease end, not at the timeout
  assert_true(locks.check(*w).ok());
  assert_int_equal(locks.refresh(*stuck).code(), Code::kDeadlineExceeded);
}

// The expired reader's late release releases nothing: not the writer that reclaimed it, not
// a reader that came after, whose count must stay right for the next writer.
void test_expired_reader_late_release_keeps_the_count(void**) {
  NamespaceLock locks(60ms);
  auto stuck = locks.lock("b/k", false, 10ms);
  assert_true(stuck.has_value());
  auto w = locks.lock("b/k", true, 2000ms);  // reclaims the stuck reader's lease
  assert_true(w.has_value());
  stuck->release();  // late: must not end w's turn
  assert_false(locks.lock("b/k", false, 20ms).has_value());
  assert_true(locks.check(*w).ok());
  w->release();
  auto stuck2 = locks.lock("b/k", false, 10ms);
  assert_true(stuck2.has_value());
  std::this_thread::sleep_for(80ms);  // its lease runs out with nobody waiting
  auto r = locks.lock("b/k", false, 10ms);
  assert_true(r.has_value());
  stuck2->release();  // late: must not take r's place in the count
  assert_false(locks.lock("b/k", true, 20ms).has_value());  // r still holds
  assert_true(locks.refresh(*r).ok());
  r->release();
  assert_true(locks.lock("b/k", true, 10ms).has_value());
  assert_int_equal(locks.active(), 0);
}

// A reader that refreshes keeps its lock past the lease; once it stops, a writer gets in.
void test_refreshed_read_lease_is_kept(void**) {
  NamespaceLock locks(150ms);
  auto r = locks.lock("b/k", false, 10ms);
  auto other = locks.lock("b/k", false, 10ms);
  assert_true(r.has_value() && other.has_value());
  other->release();
  for (int i = 0; i < 6; ++i) {
    std::this_thread::sleep_for(40ms);
    assert_true(locks.refresh(*r).ok());
  }
  assert_false(locks.lock("b/k", true, 30ms).has_value());  // 240 ms held on a 150 ms lease
  assert_true(locks.refresh(*r).ok());
  std::this_thread::sleep_for(200ms);
  assert_int_equal(locks.refresh(*r).code(), Code::kDeadlineExceeded);
  assert_true(locks.lock("b/k", true, 10ms).has_value());
  assert_int_equal(locks.active(), 0);
}

// Leased readers that abandon their locks, readers that refresh and release on time, and
// writers, all on one key: abandoned leases are reclaimed (a writer waits a lease, not the
// abandoner's whole hold) and their late releases ignored while the others come and go (TSan
// runs this), a writer never overlaps a reader that releases well within its lease, and the
// count comes back to zero.
void test_leased_readers_and_writers_under_contention(void**) {
  constexpr auto kLease = 400ms;  // far above a punctual reader's hold, even under TSan
  NamespaceLock locks(kLease);
  std::atomic<int> punctual_readers{0};
  std::atomic<int> overlaps{0};
  std::atomic<int> writes{0};
  std::atomic<int> reader_timeouts{0};
  std::atomic<int> lost_reader_leases{0};
  std::atomic<int> writer_timeouts{0};
  const auto stop_at = std::chrono::steady_clock::now() + 2000ms;
  // The abandoner takes its first lock before anyone else, then holds each one 5 leases.
  auto first = locks.lock("hot", false, 10ms);
  assert_true(first.has_value());
  std::vector<std::thread> threads;
  threads.emplace_back([&, held = std::move(*first)]() mutable {
    while (true) {
      std::this_thread::sleep_for(5 * kLease);  // releases long after its lease ran out
      held.release();
      if (std::chrono::steady_clock::now() >= stop_at) break;
      auto r = locks.lock("hot", false, 5000ms);
      if (!r) {
        ++reader_timeouts;
        break;
      }
      held = std::move(*r);
    }
  });
  for (int t = 0; t < 3; ++t) {
    threads.emplace_back([&] {
      while (std::chrono::steady_clock::now() < stop_at) {
        auto r = locks.lock("hot", false, 5000ms);
        if (!r) {
          ++reader_timeouts;
          continue;
        }
        ++punctual_readers;
        if (!locks.refresh(*r).ok()) ++lost_reader_leases;
        --punctual_readers;
        r->release();
      }
    });
  }
  for (int t = 0; t < 2; ++t) {
    threads.emplace_back([&] {
      while (std::chrono::steady_clock::now() < stop_at) {
        auto w = locks.lock("hot", true, 4 * kLease);  // < the abandoner's hold of 5 leases
        if (!w) {
          ++writer_timeouts;
          continue;
        }
        if (punctual_readers.load() != 0) ++overlaps;
        ++writes;
        std::this_thread::sleep_for(1ms);
      }
    });
  }
  for (auto& t : threads) t.join();
  assert_int_equal(writer_timeouts.load(), 0);
  assert_int_equal(reader_timeouts.load(), 0);
  assert_int_equal(lost_reader_leases.load(), 0);
  assert_int_equal(overlaps.load(), 0);
  assert_true(writes.load() > 0);
  assert_int_equal(locks.active(), 0);
  assert_true(locks.lock("hot", true, 10ms).has_value());
}

}  // namespace

// A request's lock (Locker::lock with its RequestContext) waits until its deadline, well before
// Locker::kDefaultTimeout, with kDeadlineExceeded; a deadline already passed does not wait.
void test_wait_bounded_by_the_request_deadline(void**) {
  NamespaceLock locks;
  auto held = locks.lock("b/k", true, 10ms);
  assert_true(held.has_value());
  flashstor::object::RequestContext ctx;
  ctx.deadline = flashstor::object::RequestContext::Clock::now() + 150ms;
  const auto t0 = std::chrono::steady_clock::now();
  auto w = locks.lock("b/k", false, ctx);
  const auto took = std::chrono::steady_clock::now() - t0;
  assert_false(w.has_value());
  assert_int_equal(w.error().code(), Code::kDeadlineExceeded);
  assert_true(took >= 100ms && took < 2s);
  ctx.deadline = flashstor::object::RequestContext::Clock::now() - 1ms;
  const auto t1 = std::chrono::steady_clock::now();
  assert_false(locks.lock("b/k", true, ctx).has_value());
  assert_true(std::chrono::steady_clock::now() - t1 < 100ms);
  held->release();
  assert_true(locks.lock("b/k", true, ctx).has_value());  // free: no wait needed
}

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_wait_bounded_by_the_request_deadline),
      cmocka_unit_test(test_readers_share_writers_exclude),
      cmocka_unit_test(test_guard_moves_and_releases),
      cmocka_unit_test(test_writer_waits_then_proceeds),
      cmocka_unit_test(test_mutual_exclusion_under_contention),
      cmocka_unit_test(test_writer_not_starved_by_overlapping_readers),
      cmocka_unit_test(test_reader_not_starved_by_queued_writers),
      cmocka_unit_test(test_timed_out_writer_releases_readers),
      cmocka_unit_test(test_fence_tokens_increase_and_stale_ones_are_refused),
      cmocka_unit_test(test_default_lease_never_expires),
      cmocka_unit_test(test_expired_lease_is_reclaimed_and_fenced),
      cmocka_unit_test(test_refreshed_lease_is_kept),
      cmocka_unit_test(test_expired_read_lease_lets_a_writer_in),
      cmocka_unit_test(test_expired_reader_late_release_keeps_the_count),
      cmocka_unit_test(test_refreshed_read_lease_is_kept),
      cmocka_unit_test(test_leased_readers_and_writers_under_contention),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
