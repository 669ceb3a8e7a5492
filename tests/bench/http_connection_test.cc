// Unit tests of HttpConnection and ParseEndpoint against a scripted loopback server: keep-alive,
// framings, verification of bodies, early close, malformed answers, loopback-only endpoints.
#include "http_connection.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <unistd.h>

#include <thread>
#include <vector>

#include "bench_test.h"

using namespace flashstor;
using namespace flashstor::bench;

namespace {

// One scripted answer: sent after a request head (and its Content-Length body) was read.
struct Step {
  std::string response;
  bool close_after = false;
};

// Serves `steps` in order on 127.0.0.1:<port>; a step with close_after ends the connection and
// the next step waits for a new one. Every wait is bounded (5 s) so a failing test cannot hang.
class ScriptedServer {
 public:
  explicit ScriptedServer(std::vector<Step> steps) : steps_(std::move(steps)) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(a);
    if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0 ||
        ::listen(listen_fd_, 8) != 0 ||
        ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
      std::abort();
    }
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~ScriptedServer() {
    finish();
    ::close(listen_fd_);
  }
  // Waits for the script to end; then `received` holds each request (head and body).
  void finish() {
    if (thread_.joinable()) thread_.join();
  }
  Endpoint endpoint() const { return *ParseEndpoint("http://127.0.0.1:" + std::to_string(port_)); }
  std::vector<std::string> received;

 private:
  static bool Readable(int fd) {
    pollfd p{fd, POLLIN, 0};
    return ::poll(&p, 1, 5000) == 1;
  }
  // Reads one request (head + Content-Length body); false on EOF or timeout.
  static bool ReadRequest(int fd, std::string& out) {
    char buf[65536];
    size_t need = std::string::npos;
    while (out.size() < need) {
      if (!Readable(fd)) return false;
      const ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
      if (n <= 0) return false;
      out.append(buf, static_cast<size_t>(n));
      const size_t end = out.find("\r\n\r\n");
      if (need == std::string::npos && end != std::string::npos) {
        size_t body = 0;
        const size_t cl = out.find("Content-Length: ");
        if (cl != std::string::npos && cl < end) body = std::stoul(out.substr(cl + 16));
        need = end + 4 + body;
      }
    }
    return true;
  }
  void serve() {
    int fd = -1;
    for (const Step& step : steps_) {
      if (fd < 0) {
        if (!Readable(listen_fd_)) return;
        fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      }
      std::string req;
      const bool got = ReadRequest(fd, req);
      received.push_back(req);
      if (got && !step.response.empty()) {
        (void)!::send(fd, step.response.data(), step.response.size(), MSG_NOSIGNAL);
      }
      if (step.close_after || !got) {
        ::close(fd);
        fd = -1;
      }
    }
    if (fd >= 0) {
      // Wait for the client to finish reading before closing.
      char b;
      if (Readable(fd)) (void)!::recv(fd, &b, 1, 0);
      ::close(fd);
    }
  }

  std::vector<Step> steps_;
  int listen_fd_ = -1;
  uint16_t port_ = 0;
  std::thread thread_;
};

constexpr std::string_view kGet = "GET /b/k HTTP/1.1\r\nHost: x\r\n\r\n";

int CodeOf(const Result<Response>& r) {
  return static_cast<int>(r.error().code());
}

void test_parse_endpoint(void**) {
  auto ep = ParseEndpoint("http://127.0.0.1:9000");
  assert_true(ep.has_value());
  assert_string_equal(ep->host.c_str(), "127.0.0.1:9000");
  assert_int_equal(ep->addr.ss_family, AF_INET);
  assert_true(ParseEndpoint("http://localhost:80/").has_value());
  assert_true(ParseEndpoint("http://127.1.2.3:1").has_value());
  auto v6 = ParseEndpoint("http://[::1]:9000");
  assert_true(v6.has_value());
  assert_int_equal(v6->addr.ss_family, AF_INET6);
  for (const char* bad :
       {"https://127.0.0.1:1", "http://10.0.0.1:80", "http://127.0.0.1", "http://127.0.0.1:0",
        "http://127.0.0.1:65536", "http://127.0.0.1:8x", "http://example.com:80",
        "http://[2001:db8::1]:80", "127.0.0.1:80", "http://:80"}) {
    if (ParseEndpoint(bad).has_value()) print_error("accepted %s\n", bad);
    assert_false(ParseEndpoint(bad).has_value());
  }
}

void test_keep_alive_and_put_body(void**) {
  ScriptedServer srv({{"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"},
                      {"HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n"}});
  const Endpoint ep = srv.endpoint();
  HttpConnection c(ep, 5000);
  auto r = c.round_trip(kGet, {}, false);
  assert_true(r.has_value());
  assert_int_equal(r->status, 200);
  assert_int_equal(r->body_bytes, 5);
  assert_string_equal(r->body_prefix.c_str(), "hello");
  assert_true(c.is_open() && c.reused());
  const std::string body(300000, 'x');  // larger than one socket buffer
  const std::string head = "PUT /b/k HTTP/1.1\r\nHost: x\r\nContent-Length: 300000\r\n\r\n";
  r = c.round_trip(head, body, false);
  assert_true(r.has_value());
  assert_int_equal(r->status, 201);
  assert_int_equal(r->body_bytes, 0);
  c.close();
  srv.finish();
  assert_int_equal(srv.received.size(), 2);  // both on one connection (the script says so)
  assert_int_equal(srv.received[1].size(), head.size() + body.size());
}

void test_chunked_and_verify(void**) {
  const std::string chunked =
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
      "3\r\nabc\r\n4;ext=1\r\ndefg\r\n0\r\nx-trailer: 1\r\n\r\n";
  ScriptedServer srv({{chunked}, {chunked}, {chunked}});
  const Endpoint ep = srv.endpoint();
  HttpConnection c(ep, 5000);
  const std::string good = "abcdefg";
  auto r = c.round_trip(kGet, {}, false, good);
  assert_true(r.has_value());
  assert_int_equal(r->body_bytes, 7);
  assert_false(r->body_mismatch);
  assert_true(c.is_open());
  r = c.round_trip(kGet, {}, false, std::string_view("abcdefX"));
  assert_true(r.has_value());
  assert_true(r->body_mismatch);
  r = c.round_trip(kGet, {}, false, std::string_view("abcdefgh"));  // one byte short
  assert_true(r.has_value());
  assert_true(r->body_mismatch);
  c.close();
}

void test_connection_close_and_unframed(void**) {
  ScriptedServer srv(
      {{"HTTP/1.1 503 Slow Down\r\nConnection: close\r\nContent-Length: 2\r\n\r\nno", true},
       {"HTTP/1.1 200 OK\r\n\r\nuntil-close", true},
       {"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n"}});
  const Endpoint ep = srv.endpoint();
  HttpConnection c(ep, 5000);
  auto r = c.round_trip(kGet, {}, false);
  assert_true(r.has_value());
  assert_int_equal(r->status, 503);
  assert_false(r->keep_alive);
  assert_false(c.is_open());  // closed as the server asked
  r = c.round_trip(kGet, {}, false);
  assert_true(r.has_value());
  assert_int_equal(r->status, 200);
  assert_string_equal(r->body_prefix.c_str(), "until-close");
  assert_false(c.is_open());
  r = c.round_trip(kGet, {}, false);  // 1xx skipped
  assert_true(r.has_value());
  assert_int_equal(r->status, 204);
  c.close();
}

void test_failures(void**) {
  ScriptedServer srv({{"", true},  // no answer
                      {"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", true},
                      {"HTTP/1.1 200 OK\r\nContent-Le", true},  // cut head
                      {"ICY 200 OK\r\n\r\n", true},
                      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", true}});
  const Endpoint ep = srv.endpoint();
  HttpConnection c(ep, 5000);
  auto r = c.round_trip(kGet, {}, false);
  assert_false(r.has_value());
  assert_int_equal(CodeOf(r), static_cast<int>(Code::kCancelled));
  assert_false(c.is_open());
  r = c.round_trip(kGet, {}, false);
  assert_int_equal(CodeOf(r), static_cast<int>(Code::kIoError));
  r = c.round_trip(kGet, {}, false);
  assert_int_equal(CodeOf(r), static_cast<int>(Code::kIoError));
  r = c.round_trip(kGet, {}, false);
  assert_int_equal(CodeOf(r), static_cast<int>(Code::kInvalidArgument));
  r = c.round_trip(kGet, {}, false);
  assert_int_equal(CodeOf(r), static_cast<int>(Code::kInvalidArgument));
}

void test_timeout_and_refused(void**) {
  // A server that accepts but never answers: the receive timeout ends the wait.
  ScriptedServer srv({{"", false}});
  const Endpoint ep = srv.endpoint();
  HttpConnection c(ep, 200);
  auto r = c.round_trip(kGet, {}, false);
  assert_false(r.has_value());
  assert_int_equal(CodeOf(r), static_cast<int>(Code::kTimeout));
  // A closed port: connection refused.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(a);
  assert_int_equal(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
  assert_int_equal(::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len), 0);
  ::close(fd);
  const Endpoint closed = *ParseEndpoint("http://127.0.0.1:" + std::to_string(ntohs(a.sin_port)));
  HttpConnection d(closed, 1000);
  r = d.round_trip(kGet, {}, false);
  assert_int_equal(CodeOf(r), static_cast<int>(Code::kUnavailable));
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_parse_endpoint),
      cmocka_unit_test(test_keep_alive_and_put_body),
      cmocka_unit_test(test_chunked_and_verify),
      cmocka_unit_test(test_connection_close_and_unframed),
      cmocka_unit_test(test_failures),
      cmocka_unit_test(test_timeout_and_refused),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
