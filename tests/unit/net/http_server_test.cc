// HttpServer end to end with an echo handler over real sockets: keep-alive, pipelining,
// chunked bodies, 100-continue, per-connection request limits, malformed heads, header
// deadline, idle timeout, and graceful stop.
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <chrono>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "flashstor/net/http_server.h"

#include "cmocka_cpp.h"
#include "loopback_client.h"

using namespace flashstor;

namespace {

// Echoes the request body back, with the method and path in headers.
class EchoHandler final : public http::Handler {
 public:
  void serve(http::Exchange& ex) override {
    std::string body;
    char buf[4096];
    for (;;) {
      auto n = ex.body().read(buf);
      if (!n) {
        ex.response().set_status(400);
        ex.response().set_keep_alive(false);
        (void)ex.response().send("bad body");
        return;
      }
      if (*n == 0) break;
      body.append(buf, *n);
    }
    ex.response().set_status(200);
    ex.response().add_header("X-Path", ex.request().path);
    (void)ex.response().send(body);
  }
};

struct Fixture {
  EchoHandler handler;
  net::ServerOptions options;
  std::unique_ptr<net::HttpServer> server;
  int port = 0;
};

int Connect(int port) {
  return testing::ConnectLoopback(port);
}

// Reads until `count` complete responses (by Content-Length) arrived or the peer closed.
std::string ReadResponses(int fd, int count, int timeout_ms = 3000) {
  std::string data;
  int complete = 0;
  while (complete < count) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, timeout_ms) <= 0) break;
    char buf[65536];
    ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) break;
    data.append(buf, static_cast<size_t>(n));
    complete = 0;
    size_t pos = 0;
    for (;;) {
      size_t end = data.find("\r\n\r\n", pos);
      if (end == std::string::npos) break;
      size_t cl = data.find("Content-Length: ", pos);
      size_t len = cl != std::string::npos && cl < end ? std::stoul(data.substr(cl + 16)) : 0;
      if (data.size() < end + 4 + len) break;
      pos = end + 4 + len;
      ++complete;
    }
  }
  return data;
}

bool PeerClosed(int fd, int timeout_ms) {
  pollfd p{fd, POLLIN, 0};
  if (poll(&p, 1, timeout_ms) <= 0) return false;
  char buf[4096];
  while (true) {
    ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
    if (n == 0) return true;
    if (n < 0) return errno != EAGAIN;
  }
}

int Setup(void** state) {
  auto* f = new Fixture;
  f->options.event_loops = 2;
  f->options.workers = 4;
  f->options.header_timeout_ms = 1500;
  f->options.idle_timeout_ms = 1500;
  f->options.max_requests_per_connection = 3;
  f->server = std::make_unique<net::HttpServer>(f->options, f->handler);
  if (!f->server->listen("127.0.0.1:0", false, &f->port).ok()) return -1;
  if (!f->server->start().ok()) return -1;
  *state = f;
  return 0;
}

int Teardown(void** state) {
  auto* f = static_cast<Fixture*>(*state);
  f->server->stop(1000);
  delete f;
  return 0;
}

void SendAll(int fd, const std::string& s) {
  size_t off = 0;
  while (off < s.size()) {
    ssize_t n = send(fd, s.data() + off, s.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return;
    off += static_cast<size_t>(n);
  }
}

}  // namespace

static void test_keep_alive_and_pipelining(void** state) {
  auto* f = static_cast<Fixture*>(*state);
  int fd = Connect(f->port);
  SendAll(fd,
          "PUT /a HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"
          "PUT /b HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n");
  std::string r = ReadResponses(fd, 2);
  assert_non_null(strstr(r.c_str(), "X-Path: /a"));
  assert_non_null(strstr(r.c_str(), "hello"));
  assert_non_null(strstr(r.c_str(), "X-Path: /b"));
  assert_non_null(strstr(r.c_str(), "abc"));
  // Third request hits max_requests_per_connection (3): answered with Connection: close.
  SendAll(fd, "GET /c HTTP/1.1\r\nHost: x\r\n\r\n");
  r = ReadResponses(fd, 1);
  assert_non_null(strstr(r.c_str(), "Connection: close"));
  assert_true(PeerClosed(fd, 2000));
  close(fd);
}

static void test_idle_connections_hold_no_blocks(void** state) {
  auto* f = static_cast<Fixture*>(*state);
  std::vector<int> fds;
  for (int i = 0; i < 20; ++i) {
    int fd = Connect(f->port);
    SendAll(fd, "PUT /k HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc");
    assert_non_null(strstr(ReadResponses(fd, 1).c_str(), "200"));
    fds.push_back(fd);
  }
  // The loop releases a connection's blocks when it goes idle (posted after the response).
  for (int i = 0; i < 100 && f->server->stats().arena_blocks_in_use != 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  assert_int_equal(f->server->stats().arena_blocks_in_use, 0);
  assert_true(f->server->stats().active >= 20);
  // And they still serve their next request.
  SendAll(fds[0], "GET /again HTTP/1.1\r\nHost: x\r\n\r\n");
  assert_non_null(strstr(ReadResponses(fds[0], 1).c_str(), "X-Path: /again"));
  for (int fd : fds) close(fd);
}

static void test_expect_continue(void** state) {
  auto* f = static_cast<Fixture*>(*state);
  int fd = Connect(f->port);
  SendAll(fd, "PUT /e HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n");
  std::string interim = ReadResponses(fd, 1);
  assert_non_null(strstr(interim.c_str(), "100 Continue"));
  SendAll(fd, "data");
  std::string r = ReadResponses(fd, 1);
  assert_non_null(strstr(r.c_str(), "200"));
  assert_non_null(strstr(r.c_str(), "data"));
  close(fd);
}

static void test_malformed_and_oversized(void** state) {
  auto* f = static_cast<Fixture*>(*state);
  int fd = Connect(f->port);
  SendAll(fd, "NOT HTTP\r\n\r\n");
  std::string r = ReadResponses(fd, 1);
  assert_non_null(strstr(r.c_str(), "HTTP/1.1 400"));
  close(fd);
  fd = Connect(f->port);
  SendAll(fd, "GET / HTTP/1.1\r\nX: " + std::string(40000, 'a') + "\r\n\r\n");
  r = ReadResponses(fd, 1);
  assert_non_null(strstr(r.c_str(), "HTTP/1.1 431"));
  close(fd);
  auto st = f->server->stats();
  assert_true(st.early_errors >= 2);
}

static void test_header_deadline(void** state) {
  auto* f = static_cast<Fixture*>(*state);
  int fd = Connect(f->port);
  SendAll(fd, "GET / HTTP/1.1\r\n");
  auto start = std::chrono::steady_clock::now();
  std::string r = ReadResponses(fd, 1, 4000);
  auto waited = std::chrono::steady_clock::now() - start;
  assert_non_null(strstr(r.c_str(), "408"));
  assert_true(waited < std::chrono::seconds(4));
  close(fd);
}

static void test_idle_timeout(void** state) {
  auto* f = static_cast<Fixture*>(*state);
  int fd = Connect(f->port);
  SendAll(fd, "GET /i HTTP/1.1\r\nHost: x\r\n\r\n");
  ReadResponses(fd, 1);
  assert_true(PeerClosed(fd, 4000));
  close(fd);
}

static void test_short_body_closes(void** state) {
  auto* f = static_cast<Fixture*>(*state);
  int fd = Connect(f->port);
  SendAll(fd, "PUT /s HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc");
  shutdown(fd, SHUT_WR);
  std::string r = ReadResponses(fd, 1);
  assert_non_null(strstr(r.c_str(), "400"));
  close(fd);
}

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_keep_alive_and_pipelining, Setup, Teardown),
      cmocka_unit_test_setup_teardown(test_expect_continue, Setup, Teardown),
      cmocka_unit_test_setup_teardown(test_idle_connections_hold_no_blocks, Setup, Teardown),
      cmocka_unit_test_setup_teardown(test_malformed_and_oversized, Setup, Teardown),
      cmocka_unit_test_setup_teardown(test_header_deadline, Setup, Teardown),
      cmocka_unit_test_setup_teardown(test_idle_timeout, Setup, Teardown),
      cmocka_unit_test_setup_teardown(test_short_body_closes, Setup, Teardown),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
