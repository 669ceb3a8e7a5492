// The request boundary for std::bad_alloc: a handler that runs out of memory gets its request
// answered 503 SlowDown with the connection closed, and the server keeps serving.
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <new>
#include <string>

#include "flashstor/net/http_server.h"

#include "cmocka_cpp.h"
#include "loopback_client.h"

using namespace flashstor;

namespace {

// Throws std::bad_alloc for /oom (after starting a response, as a real handler might),
// answers 200 "ok" otherwise.
class OomHandler final : public http::Handler {
 public:
  void serve(http::Exchange& ex) override {
    if (ex.request().path == "/oom") {
      ex.response().add_header("ETag", "\"half-built\"");
      throw std::bad_alloc();
    }
    ex.response().set_status(200);
    (void)ex.response().send("ok");
  }
};

int Connect(int port) {
  return testing::ConnectLoopback(port);
}

// Sends one request and reads until the peer closes or 3 s pass.
std::string Exchange(int port, const std::string& path, bool* closed) {
  int fd = Connect(port);
  assert_true(fd >= 0);
  std::string req = "GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n";
  assert_int_equal(send(fd, req.data(), req.size(), 0), static_cast<ssize_t>(req.size()));
  std::string data;
  *closed = false;
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 3000) <= 0) break;
    char buf[4096];
    ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) {
      *closed = n == 0;
      break;
    }
    data.append(buf, static_cast<size_t>(n));
    if (path != "/oom" && data.find("\r\n\r\nok") != std::string::npos) break;
  }
  close(fd);
  return data;
}

void test_bad_alloc_answers_503_and_server_lives(void**) {
  OomHandler handler;
  net::ServerOptions options;
  options.event_loops = 1;
  options.workers = 2;
  net::HttpServer server(options, handler);
  int port = 0;
  assert_true(server.listen("127.0.0.1:0", false, &port).ok());
  assert_true(server.start().ok());
  for (int i = 0; i < 3; ++i) {
    bool closed = false;
    std::string r = Exchange(port, "/oom", &closed);
    assert_true(r.starts_with("HTTP/1.1 503"));
    assert_true(r.find("<Code>SlowDown</Code>") != std::string::npos);
    assert_true(r.find("half-built") == std::string::npos);  // a fresh response
    assert_true(r.find("Connection: close") != std::string::npos);
    assert_true(closed);
  }
  bool closed = false;
  assert_true(Exchange(port, "/fine", &closed).starts_with("HTTP/1.1 200"));
  server.stop(1000);
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_bad_alloc_answers_503_and_server_lives),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
