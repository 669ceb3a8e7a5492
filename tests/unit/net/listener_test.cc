// Tests for listening-socket set-up and the deadline-bounded plain transport.
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <thread>

#include "flashstor/net/http_server.h"
#include "flashstor/net/plain_transport.h"

#include "cmocka_cpp.h"

using namespace flashstor;

// A budget bounded by inactivity only.
static net::TransferBudget IdleBudget(int ms) {
  net::TransferLimits l;
  l.io_timeout_ms = ms;
  return net::TransferBudget(l, net::TransferClockMs());
}

static void test_bind_port_zero(void** state) {
  (void)state;
  auto fd = net::BindListener("127.0.0.1:0", 16);
  assert_true(fd.has_value());
  int port = net::LocalPort(*fd);
  assert_true(port > 0);
  // The same port again is in use.
  auto again = net::BindListener("127.0.0.1:" + std::to_string(port), 16);
  assert_false(again.has_value());
  assert_int_equal(static_cast<int>(again.error().code()), static_cast<int>(Code::kAlreadyExists));
  close(*fd);
  auto v6 = net::BindListener("[::1]:0", 16);
  if (v6) close(*v6);  // hosts without IPv6 loopback fail here; both outcomes are valid
}

static void test_bad_addresses(void** state) {
  (void)state;
  assert_false(net::BindListener("127.0.0.1", 16).has_value());
  assert_false(net::BindListener("127.0.0.1:99999", 16).has_value());
  assert_false(net::BindListener("127.0.0.1:12ab", 16).has_value());
  assert_false(net::BindListener("not-an-ip:9000", 16).has_value());
  assert_false(net::BindListener("[zz::1]:9000", 16).has_value());
}

static void test_transport_roundtrip_and_timeout(void** state) {
  (void)state;
  int sv[2];
  assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
  net::TransferBudget ba = IdleBudget(200), bb = IdleBudget(200);
  net::PlainTransport a(sv[0], ba), b(sv[1], bb);
  char h1[] = "hello ", h2[] = "world";
  iovec iov[2] = {{h1, 6}, {h2, 5}};
  assert_true(a.sendv(iov).ok());
  char buf[32] = {};
  size_t got = 0;
  while (got < 11) {
    auto n = b.recv(std::span<char>(buf + got, sizeof(buf) - got));
    assert_true(n.has_value());
    got += *n;
  }
  assert_memory_equal(buf, "hello world", 11);
  // Nothing more arrives: recv times out.
  auto n = b.recv(buf);
  assert_false(n.has_value());
  assert_int_equal(static_cast<int>(n.error().code()), static_cast<int>(Code::kTimeout));
  // Peer closed: recv returns 0.
  close(sv[0]);
  n = b.recv(buf);
  assert_true(n.has_value());
  assert_int_equal(*n, 0);
  close(sv[1]);
}

static void test_transport_large_write_backpressure(void** state) {
  (void)state;
  int sv[2];
  assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
  std::string big(8 << 20, 'x');
  std::thread reader([&] {
    net::TransferBudget rb = IdleBudget(5000);
    net::PlainTransport r(sv[1], rb);
    char buf[65536];
    size_t total = 0;
    while (total < big.size()) {
      auto n = r.recv(buf);
      if (!n || *n == 0) break;
      total += *n;
    }
    assert_int_equal(total, big.size());
  });
  net::TransferBudget wb = IdleBudget(5000);
  net::PlainTransport w(sv[0], wb);
  iovec iov{big.data(), big.size()};
  assert_true(w.sendv(std::span<const iovec>(&iov, 1)).ok());
  reader.join();
  close(sv[0]);
  close(sv[1]);
}

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_bind_port_zero),
      cmocka_unit_test(test_bad_addresses),
      cmocka_unit_test(test_transport_roundtrip_and_timeout),
      cmocka_unit_test(test_transport_large_write_backpressure),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
