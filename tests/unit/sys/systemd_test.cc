// systemd integration tests: a test NOTIFY_SOCKET (AF_UNIX datagram in a temp dir) receives
// READY/STATUS/STOPPING/WATCHDOG; watchdog interval parsing; LISTEN_FDS hand-over.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string>

#include "flashstor/sys/systemd.h"

#include "cmocka_cpp.h"

using namespace flashstor::sys;

namespace {

struct Listener {
  char dir[32] = "/tmp/fs-notify-XXXXXX";
  std::string path;
  int fd = -1;
};

int SetupListener(void** state) {
  auto* l = new Listener;
  if (mkdtemp(l->dir) == nullptr) return -1;
  l->path = std::string(l->dir) + "/notify";
  l->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, l->path.c_str(), sizeof(addr.sun_path) - 1);
  if (bind(l->fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) return -1;
  setenv("NOTIFY_SOCKET", l->path.c_str(), 1);
  *state = l;
  return 0;
}

int TeardownListener(void** state) {
  auto* l = static_cast<Listener*>(*state);
  unsetenv("NOTIFY_SOCKET");
  close(l->fd);
  unlink(l->path.c_str());
  rmdir(l->dir);
  delete l;
  return 0;
}

std::string Receive(int fd) {
  char buf[1024];
  const ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
}

void test_notify_messages(void** state) {
  auto* l = static_cast<Listener*>(*state);
  auto r = NotifyReady("serving 4 drives");
  assert_true(r.has_value() && *r);
  assert_string_equal(Receive(l->fd).c_str(), "READY=1\nSTATUS=serving 4 drives");
  assert_true(NotifyStatus("healing").value());
  assert_string_equal(Receive(l->fd).c_str(), "STATUS=healing");
  assert_true(NotifyStopping().value());
  assert_string_equal(Receive(l->fd).c_str(), "STOPPING=1");
  assert_true(NotifyWatchdog().value());
  assert_string_equal(Receive(l->fd).c_str(), "WATCHDOG=1");
  assert_string_equal(Receive(l->fd).c_str(), "");  // nothing else was sent
}

void test_status_cannot_inject(void** state) {
  auto* l = static_cast<Listener*>(*state);
  assert_true(NotifyStatus("x\nREADY=1").value());
  assert_string_equal(Receive(l->fd).c_str(), "STATUS=x READY=1");
  const std::string longtext(1000, 'a');
  assert_true(NotifyStatus(longtext).value());
  assert_int_equal(Receive(l->fd).size(), 7 + 200);
}

void test_not_under_systemd(void**) {
  const char* saved = getenv("NOTIFY_SOCKET");
  const std::string keep = saved != nullptr ? saved : "";
  unsetenv("NOTIFY_SOCKET");
  auto r = NotifyReady("x");
  assert_true(r.has_value());
  assert_false(*r);
  if (!keep.empty()) setenv("NOTIFY_SOCKET", keep.c_str(), 1);
}

void test_notify_socket_gone(void**) {
  setenv("NOTIFY_SOCKET", "/nonexistent/flashstor-notify", 1);
  auto r = NotifyStatus("x");
  assert_false(r.has_value());
  assert_true(r.error().code() == flashstor::Code::kUnavailable);
  unsetenv("NOTIFY_SOCKET");
}

void test_watchdog_interval(void**) {
  unsetenv("WATCHDOG_USEC");
  unsetenv("WATCHDOG_PID");
  assert_int_equal(WatchdogInterval().value().count(), 0);
  setenv("WATCHDOG_USEC", "30000000", 1);
  setenv("WATCHDOG_PID", std::to_string(getpid()).c_str(), 1);
  assert_int_equal(WatchdogInterval().value().count(), 30000000);
  setenv("WATCHDOG_PID", "1", 1);  // meant for another process
  assert_int_equal(WatchdogInterval().value().count(), 0);
  setenv("WATCHDOG_PID", std::to_string(getpid()).c_str(), 1);
  setenv("WATCHDOG_USEC", "soon", 1);
  assert_false(WatchdogInterval().has_value());
  unsetenv("WATCHDOG_USEC");
  unsetenv("WATCHDOG_PID");
}

// Moves fd to target (3, 4, ...) as systemd would.
void PlaceAt(int fd, int target) {
  if (fd != target) {
    assert_int_equal(dup2(fd, target), target);
    close(fd);
  }
}

int ListeningSocket() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  assert_int_equal(bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
  assert_int_equal(listen(fd, 4), 0);
  return fd;
}

void test_listen_fds(void**) {
  unsetenv("LISTEN_FDS");
  auto none = ListenFds();
  assert_true(none.has_value());
  assert_int_equal(none->size(), 0);

  // Free fds 3 and 4 for the hand-over (the test holds nothing else open there).
  const int a = ListeningSocket(), b = ListeningSocket();
  const int sa = dup(a), sb = dup(b);
  close(a);
  close(b);
  PlaceAt(sa, 3);
  PlaceAt(sb, 4);
  setenv("LISTEN_PID", std::to_string(getpid()).c_str(), 1);
  setenv("LISTEN_FDS", "2", 1);
  setenv("LISTEN_FDNAMES", "https:http", 1);
  auto fds = ListenFds();
  assert_true(fds.has_value());
  assert_int_equal(fds->size(), 2);
  assert_int_equal((*fds)[0].fd, 3);
  assert_string_equal((*fds)[0].name.c_str(), "https");
  assert_string_equal((*fds)[1].name.c_str(), "http");
  assert_true(fcntl(3, F_GETFD) & FD_CLOEXEC);
  assert_null(getenv("LISTEN_FDS"));  // unset so children do not inherit them

  // A non-listening fd in the hand-over is a clear error.
  const int notsock = open("/dev/null", O_RDONLY);
  close(4);
  PlaceAt(notsock, 4);
  setenv("LISTEN_PID", std::to_string(getpid()).c_str(), 1);
  setenv("LISTEN_FDS", "2", 1);
  unsetenv("LISTEN_FDNAMES");
  auto bad = ListenFds();
  assert_false(bad.has_value());
  assert_true(bad.error().code() == flashstor::Code::kInvalidArgument);
  close(3);
  close(4);
}

}  // namespace

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_notify_messages, SetupListener, TeardownListener),
      cmocka_unit_test_setup_teardown(test_status_cannot_inject, SetupListener, TeardownListener),
      cmocka_unit_test(test_not_under_systemd),
      cmocka_unit_test(test_notify_socket_gone),
      cmocka_unit_test(test_watchdog_interval),
      cmocka_unit_test(test_listen_fds),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
