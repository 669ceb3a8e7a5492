// Unit tests for obs::SpscRing: FIFO order, full/empty edges, wrap-around, 2-thread stress.

#include <memory>
#include <thread>

#include "flashstor/obs/spsc_ring.h"

// cmocka needs these C headers first, has no extern "C" of its own, and comes after the C++
// headers (its macros clash with <ios>).
#include "cmocka_cpp.h"

using flashstor::obs::SpscRing;

static void test_fifo_and_empty(void**) {
  SpscRing<int, 8> ring;
  int out = -1;
  assert_true(ring.empty());
  assert_false(ring.try_pop(out));
  assert_int_equal(out, -1);  // untouched when empty
  for (int i = 0; i < 5; ++i) assert_true(ring.try_push(i));
  assert_int_equal(ring.size(), 5);
  for (int i = 0; i < 5; ++i) {
    assert_true(ring.try_pop(out));
    assert_int_equal(out, i);
  }
  assert_false(ring.try_pop(out));
  assert_true(ring.empty());
}

static void test_full_rejects_and_recovers(void**) {
  SpscRing<int, 4> ring;
  for (int i = 0; i < 4; ++i) assert_true(ring.try_push(i));
  assert_false(ring.try_push(99));  // exactly N fit
  assert_int_equal(ring.size(), 4);
  int out = -1;
  assert_true(ring.try_pop(out));
  assert_int_equal(out, 0);
  assert_true(ring.try_push(4));  // one slot freed
  assert_false(ring.try_push(5));
  for (int want = 1; want <= 4; ++want) {
    assert_true(ring.try_pop(out));
    assert_int_equal(out, want);
  }
  assert_false(ring.try_pop(out));
}

static void test_wraparound_many_laps(void**) {
  SpscRing<uint64_t, 2> ring;
  uint64_t out = 0;
  for (uint64_t i = 0; i < 10000; ++i) {
    assert_true(ring.try_push(i));
    assert_true(ring.try_push(i + 1));
    assert_false(ring.try_push(i + 2));
    assert_true(ring.try_pop(out));
    assert_int_equal(out, i);
    assert_true(ring.try_pop(out));
    assert_int_equal(out, i + 1);
  }
}

static void test_in_place_push_and_consume(void**) {
  struct Big {
    char data[256];
    int n;
  };
  auto ring = std::make_unique<SpscRing<Big, 4>>();
  assert_true(ring->try_push_with([](Big& b) {
    b.n = 7;
    b.data[255] = 'x';
  }));
  bool called = false;
  assert_true(ring->consume_one([&](Big& b) {
    called = true;
    assert_int_equal(b.n, 7);
    assert_int_equal(b.data[255], 'x');
  }));
  assert_true(called);
  called = false;
  assert_false(ring->consume_one([&](Big&) { called = true; }));
  assert_false(called);  // not called when empty
}

static void test_two_thread_stress(void**) {
  constexpr uint64_t kCount = 1000000;
  auto ring = std::make_unique<SpscRing<uint64_t, 1024>>();
  uint64_t full_spins = 0;
  std::thread producer([&] {
    for (uint64_t i = 0; i < kCount; ++i) {
      while (!ring->try_push(i)) ++full_spins;
    }
  });
  uint64_t expected = 0;
  uint64_t errors = 0;
  uint64_t v = 0;
  while (expected < kCount) {
    if (ring->try_pop(v)) {
      if (v != expected) ++errors;
      expected = v + 1;  // resynchronise so one error is not counted a million times
    }
  }
  producer.join();
  assert_int_equal(errors, 0);
  assert_int_equal(expected, kCount);
  assert_false(ring->try_pop(v));
}

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_fifo_and_empty),       cmocka_unit_test(test_full_rejects_and_recovers),
      cmocka_unit_test(test_wraparound_many_laps), cmocka_unit_test(test_in_place_push_and_consume),
      cmocka_unit_test(test_two_thread_stress),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
