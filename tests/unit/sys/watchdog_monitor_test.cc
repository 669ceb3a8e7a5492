// WatchdogMonitor tests: pings only when every loop ticked; a wedged loop stops the pings;
// the pinger thread sends WATCHDOG=1 to a test NOTIFY_SOCKET at half the interval.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>

#include "flashstor/sys/watchdog_monitor.h"

#include "cmocka_cpp.h"

using flashstor::Status;
using flashstor::sys::WatchdogMonitor;
using namespace std::chrono_literals;

namespace {

void test_pings_only_when_all_loops_ticked(void**) {
  int pings = 0;
  WatchdogMonitor m([&pings] {
    ++pings;
    return Status::Ok();
  });
  const size_t a = m.register_loop("loop-a").value();
  const size_t b = m.register_loop("loop-b").value();
  assert_false(m.check_and_ping());  // registered loops have not ticked yet
  m.tick(a);
  assert_false(m.check_and_ping());  // b is wedged: no ping
  assert_int_equal(pings, 0);
  assert_int_equal(m.stale_loops().size(), 1);
  assert_string_equal(m.stale_loops()[0].c_str(), "loop-b");
  m.tick(b);
  assert_true(m.check_and_ping());
  assert_int_equal(pings, 1);
  assert_false(m.check_and_ping());  // marks were reset by the ping
  assert_int_equal(pings, 1);
  m.tick(a);
  m.tick(b);
  m.tick(12345);  // unknown ids are ignored
  assert_true(m.check_and_ping());
  assert_int_equal(pings, 2);
}

// Requests wait for a worker and nothing progresses (every worker stuck): after the stall
// limit the pings stop, so systemd restarts the daemon; progress or an empty queue resumes.
void test_pings_stop_when_requests_stall(void**) {
  int pings = 0;
  WatchdogMonitor m([&pings] {
    ++pings;
    return Status::Ok();
  });
  WatchdogMonitor::RequestProgress state{0, 0};
  m.set_progress_probe([&state] { return state; }, 5s);
  const auto t0 = WatchdogMonitor::Clock::now();
  assert_true(m.check_and_ping(t0));  // idle server: pings
  state = {3, 0};                     // three requests queued, workers all busy
  assert_true(m.check_and_ping(t0 + 1s));
  assert_true(m.check_and_ping(t0 + 4s));   // 4 s without progress: within the limit
  assert_false(m.check_and_ping(t0 + 6s));  // 5 s: withheld
  assert_false(m.check_and_ping(t0 + 60s));
  assert_int_equal(pings, 3);
  state.progress = 1;  // a worker moved bytes or finished a request
  assert_true(m.check_and_ping(t0 + 61s));
  assert_true(m.check_and_ping(t0 + 65s));
  assert_false(m.check_and_ping(t0 + 67s));
  state.pending = 0;  // the queue drained: nothing is waiting, nothing is stalled
  assert_true(m.check_and_ping(t0 + 68s));
  assert_int_equal(pings, 6);
}

void test_no_loops_always_pings(void**) {
  int pings = 0;
  WatchdogMonitor m([&pings] {
    ++pings;
    return Status::Ok();
  });
  assert_true(m.check_and_ping());
  assert_true(m.check_and_ping());
  assert_int_equal(pings, 2);
}

void test_loop_limit(void**) {
  WatchdogMonitor m([] { return Status::Ok(); });
  for (size_t i = 0; i < WatchdogMonitor::kMaxLoops; ++i) {
    assert_true(m.register_loop("l").has_value());
  }
  assert_false(m.register_loop("one-too-many").has_value());
}

void test_disabled_interval_starts_nothing(void**) {
  std::atomic<int> pings{0};
  WatchdogMonitor m([&pings] {
    ++pings;
    return Status::Ok();
  });
  assert_true(m.start(std::chrono::microseconds(0)).ok());
  std::this_thread::sleep_for(20ms);
  assert_int_equal(pings.load(), 0);
}

int CountWatchdogDatagrams(int fd) {
  int n = 0;
  char buf[64];
  ssize_t r;
  while ((r = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0) {
    if (std::string(buf, static_cast<size_t>(r)) == "WATCHDOG=1") ++n;
  }
  return n;
}

void test_pinger_thread_with_notify_socket(void**) {
  char dir[] = "/tmp/fs-watchdog-XXXXXX";
  assert_non_null(mkdtemp(dir));
  const std::string path = std::string(dir) + "/notify";
  const int sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
  assert_int_equal(bind(sock, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  setenv("NOTIFY_SOCKET", path.c_str(), 1);

  {
    WatchdogMonitor m;  // default ping: sd_notify WATCHDOG=1
    const size_t live = m.register_loop("live").value();
    const size_t wedged = m.register_loop("wedged").value();
    std::atomic<bool> run{true};
    std::thread ticker([&] {
      while (run.load()) {
        m.tick(live);
        std::this_thread::sleep_for(2ms);
      }
    });
    assert_true(m.start(std::chrono::microseconds(40000)).ok());  // pings every 20 ms
    assert_true(m.start(std::chrono::microseconds(40000)).code() ==
                flashstor::Code::kAlreadyExists);
    std::this_thread::sleep_for(200ms);
    assert_int_equal(CountWatchdogDatagrams(sock), 0);  // one loop not ticking: no ping
    std::atomic<bool> run2{true};
    std::thread ticker2([&] {
      while (run2.load()) {
        m.tick(wedged);
        std::this_thread::sleep_for(2ms);
      }
    });
    std::this_thread::sleep_for(200ms);
    m.stop();
    run = false;
    run2 = false;
    ticker.join();
    ticker2.join();
    assert_true(CountWatchdogDatagrams(sock) >= 3);  // both alive: pings flow
  }
  unsetenv("NOTIFY_SOCKET");
  close(sock);
  unlink(path.c_str());
  rmdir(dir);
}

}  // namespace

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_pings_only_when_all_loops_ticked),
      cmocka_unit_test(test_pings_stop_when_requests_stall),
      cmocka_unit_test(test_no_loops_always_pings),
      cmocka_unit_test(test_loop_limit),
      cmocka_unit_test(test_disabled_interval_starts_nothing),
      cmocka_unit_test(test_pinger_thread_with_notify_socket),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
