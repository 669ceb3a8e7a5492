// Tests for TransferBudget (inactivity, minimum rate per window of waiting, total deadline that
// grows with bytes moved) and for a PlainTransport cutting off a trickling peer.
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

#include "flashstor/net/plain_transport.h"
#include "flashstor/net/transfer_budget.h"

#include "cmocka_cpp.h"

using namespace flashstor;
using net::TransferBudget;
using net::TransferCut;
using net::TransferLimits;

static TransferLimits RateOnly(uint64_t min_bytes, int window_ms) {
  TransferLimits l;
  l.io_timeout_ms = 0;
  l.min_rate_bytes = min_bytes;
  l.window_ms = window_ms;
  return l;
}

// A trickle (1 byte per 5 s of waiting) is cut when its first 10 s window closes.
static void test_trickle_cut_after_one_window(void**) {
  TransferBudget b(RateOnly(32 * 1024, 10'000), 0);
  int64_t now = 0;
  assert_int_equal(b.wait_ms(now, false), 10'000);  // waits never outlast the window
  b.waited(5000);
  now += 5000;
  b.moved(1);
  assert_int_equal(b.wait_ms(now, false), 5000);
  b.waited(5000);
  assert_int_equal(static_cast<int>(b.cut()), static_cast<int>(TransferCut::kTooSlow));
  assert_int_equal(b.wait_ms(now + 5000, false), 0);
  assert_int_equal(b.last_rate_bps(), 0);  // 1 byte in 10 s rounds to 0 B/s
  assert_false(b.status().ok());
}

// A client that keeps the rate passes window after window; time not spent waiting for it
// (the server busy on its disks) is never counted against it.
static void test_steady_client_and_server_time(void**) {
  TransferBudget b(RateOnly(32 * 1024, 10'000), 0);
  for (int window = 0; window < 5; ++window) {
    for (int i = 0; i < 10; ++i) {
      b.moved(4096);
      b.waited(1000);
    }
  }
  assert_int_equal(static_cast<int>(b.cut()), static_cast<int>(TransferCut::kNone));
  assert_int_equal(b.last_rate_bps(), 4096);
  // An hour of server-side work between reads costs nothing: only waits count.
  b.moved(1);
  assert_true(b.wait_ms(3'600'000, false) > 0);
  // Then silence: cut after one full window of waiting.
  b.waited(9'999);
  assert_int_equal(static_cast<int>(b.cut()), static_cast<int>(TransferCut::kNone));
  b.waited(1);
  assert_int_equal(static_cast<int>(b.cut()), static_cast<int>(TransferCut::kTooSlow));
}

static void test_inactivity(void**) {
  TransferLimits l;
  l.io_timeout_ms = 3000;
  TransferBudget b(l, 0);
  assert_int_equal(b.wait_ms(0, true), 3000);
  b.waited(2000);
  assert_int_equal(b.wait_ms(2000, true), 1000);
  b.moved(10);  // progress resets the inactivity clock
  assert_int_equal(b.wait_ms(2000, true), 3000);
  b.waited(3000);
  assert_int_equal(b.wait_ms(5000, true), 0);
  assert_int_equal(static_cast<int>(b.cut()), static_cast<int>(TransferCut::kIdle));
  assert_true(b.sending());
  // A wait after the cut (an HTTP/2 stream handing its error response to the connection)
  // fails at once and leaves the direction that was cut.
  assert_int_equal(b.wait_ms(5000, false), 0);
  assert_true(b.sending());
}

// Deadline: base + bytes / rate. A 5 GiB transfer at the credited rate never runs out.
static void test_deadline_grows_with_bytes(void**) {
  TransferLimits l;
  l.io_timeout_ms = 0;
  l.deadline_base_ms = 600'000;
  l.deadline_bytes_per_s = 64 * 1024;
  TransferBudget b(l, 1000);
  assert_int_equal(b.deadline_ms(), 601'000);
  assert_int_equal(b.wait_ms(1000, false), 600'000);
  b.moved(64 * 1024 * 10);  // 10 s of credit
  assert_int_equal(b.deadline_ms(), 611'000);
  assert_int_equal(b.wait_ms(611'000, false), 0);
  assert_int_equal(static_cast<int>(b.cut()), static_cast<int>(TransferCut::kDeadline));

  TransferBudget big(l, 0);
  const uint64_t five_gib = 5ull << 30;
  big.moved(five_gib);
  const int64_t at_credited_rate_ms = static_cast<int64_t>(five_gib / (64 * 1024)) * 1000;
  assert_true(big.wait_ms(at_credited_rate_ms, false) > 0);
}

static void test_no_wait_and_disabled_bounds(void**) {
  TransferLimits off;
  off.io_timeout_ms = 0;
  TransferBudget b(off, 0);
  assert_true(b.wait_ms(1'000'000'000, false) > 0);  // no bound at all
  b.set_no_wait();
  assert_int_equal(b.wait_ms(0, false), 0);
  assert_int_equal(static_cast<int>(b.cut()), static_cast<int>(TransferCut::kNoWait));
}

static void test_progress_counter(void**) {
  std::atomic<uint64_t> progress{0};
  TransferBudget b(TransferLimits{}, 0, &progress);
  b.moved(0);
  b.moved(5);
  b.moved(7);
  assert_int_equal(progress.load(), 2);
  assert_int_equal(b.total_bytes(), 12);
}

// A real socket: the peer sends 1 byte every 300 ms; with 1 KiB per 1 s window required the
// transport gives up with kTimeout after about one window, not at the 60 s inactivity bound.
static void test_plain_transport_cuts_trickler(void**) {
  int sv[2];
  assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
  std::atomic<bool> stop{false};
  std::thread trickler([&] {
    while (!stop.load()) {
      (void)!::write(sv[1], "x", 1);
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
    }
  });
  TransferLimits l = RateOnly(1024, 1000);
  l.io_timeout_ms = 60'000;
  TransferBudget budget(l, net::TransferClockMs());
  net::PlainTransport t(sv[0], budget);
  const int64_t start = net::TransferClockMs();
  char buf[64];
  Status last;
  for (;;) {
    auto n = t.recv(buf);
    if (!n) {
      last = n.error();
      break;
    }
  }
  const int64_t took = net::TransferClockMs() - start;
  stop = true;
  trickler.join();
  assert_int_equal(static_cast<int>(last.code()), static_cast<int>(Code::kTimeout));
  assert_int_equal(static_cast<int>(budget.cut()), static_cast<int>(TransferCut::kTooSlow));
  assert_true(took >= 900 && took < 10'000);
  close(sv[0]);
  close(sv[1]);
}

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_trickle_cut_after_one_window),
      cmocka_unit_test(test_steady_client_and_server_time),
      cmocka_unit_test(test_inactivity),
      cmocka_unit_test(test_deadline_grows_with_bytes),
      cmocka_unit_test(test_no_wait_and_disabled_bounds),
      cmocka_unit_test(test_progress_counter),
      cmocka_unit_test(test_plain_transport_cuts_trickler),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
