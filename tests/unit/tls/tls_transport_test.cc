// Unit tests for tls::TlsTransport: blocking recv/sendv over TLS with iovec gathering, peer
// close, and the I/O deadline.
#include <fcntl.h>
#include <signal.h>

#include <chrono>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "flashstor/tls/tls_context.h"
#include "flashstor/tls/tls_transport.h"
#include "test_pki.h"

// cmocka needs these C headers first, has no extern "C" of its own, and comes after the C++
// headers (its macros clash with <ios>).
#include "cmocka_cpp.h"

using namespace flashstor::tls;
using namespace std::chrono_literals;

namespace {

// A budget bounded by inactivity only, as the transport had before rate bounds existed.
flashstor::net::TransferBudget IdleBudget(std::chrono::milliseconds ms) {
  flashstor::net::TransferLimits l;
  l.io_timeout_ms = static_cast<int>(ms.count());
  return flashstor::net::TransferBudget(l, flashstor::net::TransferClockMs());
}

struct Fixture {
  std::string dir;
  std::unique_ptr<TlsContext> ctx;
  SSL_CTX* client_ctx = nullptr;
};

int Setup(void** state) {
  auto* f = new Fixture;
  *state = f;
  f->dir = testpki::MakeTempDir();
  if (f->dir.empty() || !testpki::MakeCa(f->dir) ||
      !testpki::IssueCert(f->dir, "s3.test", f->dir + "/certs")) {
    return -1;
  }
  auto ctx = TlsContext::Load(f->dir + "/certs");
  if (!ctx) return -1;
  f->ctx = std::move(*ctx);
  f->client_ctx = testpki::ClientCtx(f->dir, TLS1_2_VERSION, TLS1_3_VERSION);
  return f->client_ctx == nullptr ? -1 : 0;
}

int Teardown(void** state) {
  auto* f = static_cast<Fixture*>(*state);
  SSL_CTX_free(f->client_ctx);
  testpki::RemoveDir(f->dir);
  delete f;
  return 0;
}

// An established pair: server connection plus a client SSL whose fd is switched to blocking.
struct Session {
  testpki::SocketPair sp;
  std::optional<TlsConnection> server;
  SSL* client = nullptr;
  ~Session() { SSL_free(client); }
};

void Establish(Fixture* f, Session& s) {
  assert_true(s.sp.open());
  auto conn = f->ctx->accept(s.sp.server);
  assert_true(conn.has_value());
  s.server.emplace(std::move(*conn));
  s.client = testpki::ClientSsl(f->client_ctx, s.sp.client, "s3.test");
  assert_int_equal(static_cast<int>(testpki::DriveHandshake(*s.server, s.client)),
                   static_cast<int>(testpki::HandshakeResult::kOk));
  fcntl(s.sp.client, F_SETFL, 0);  // the client thread blocks from now on
}

}  // namespace

static void test_request_response(void** state) {
  auto* f = static_cast<Fixture*>(*state);
  Session s;
  Establish(f, s);
  const std::string request = "PUT /bucket/key HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello";
  const std::string head = "HTTP/1.1 200 OK\r\nContent-Length: 1048589\r\n\r\n";
  std::string body(1 << 20, '\0');
  for (size_t i = 0; i < body.size(); ++i) body[i] = static_cast<char>(i * 131 % 251);
  const std::string tail = "trailer-bytes";

  std::string server_got;
  std::thread server([&] {
    flashstor::net::TransferBudget budget = IdleBudget(2000ms);
    TlsTransport t(*s.server, budget);
    char buf[1000];
    while (server_got.size() < request.size()) {
      auto n = t.recv(buf);
      if (!n || *n == 0) return;
      server_got.append(buf, *n);
    }
    std::vector<iovec> iov = {
        {const_cast<char*>(head.data()), head.size()},
        {nullptr, 0},  // empty buffers are skipped
        {body.data(), body.size()},
        {const_cast<char*>(tail.data()), tail.size()},
    };
    assert_true(t.sendv(iov).ok());
  });
  assert_int_equal(SSL_write(s.client, request.data(), static_cast<int>(request.size())),
                   static_cast<int>(request.size()));
  std::string got;
  const size_t want = head.size() + body.size() + tail.size();
  char buf[32768];
  while (got.size() < want) {
    const int n = SSL_read(s.client, buf, sizeof(buf));
    if (n <= 0) break;
    got.append(buf, static_cast<size_t>(n));
  }
  server.join();
  assert_string_equal(server_got.c_str(), request.c_str());
  assert_int_equal(got.size(), want);
  assert_true(got == head + body + tail);
}

static void test_many_small_buffers_coalesce(void** state) {
  auto* f = static_cast<Fixture*>(*state);
  Session s;
  Establish(f, s);
  // 3000 one-byte buffers (more than a 16 KiB stage holds after 20 KiB of 7-byte ones too).
  std::vector<std::string> parts;
  for (int i = 0; i < 3000; ++i) parts.emplace_back(i % 2 ? 7 : 1, static_cast<char>('a' + i % 26));
  std::vector<iovec> iov;
  std::string expect;
  for (auto& p : parts) {
    iov.push_back({p.data(), p.size()});
    expect += p;
  }
  std::thread server([&] {
    flashstor::net::TransferBudget budget = IdleBudget(2000ms);
    TlsTransport t(*s.server, budget);
    assert_true(t.sendv(iov).ok());
  });
  std::string got;
  char buf[32768];
  int records = 0;
  while (got.size() < expect.size()) {
    const int n = SSL_read(s.client, buf, sizeof(buf));
    if (n <= 0) break;
    ++records;
    got.append(buf, static_cast<size_t>(n));
  }
  server.join();
  assert_true(got == expect);
  assert_true(records <= 4);  // ~12 KB in a few records, not 3000
}

static void test_peer_close_and_timeout(void** state) {
  auto* f = static_cast<Fixture*>(*state);
  {
    Session s;
    Establish(f, s);
    flashstor::net::TransferBudget budget = IdleBudget(150ms);
    TlsTransport t(*s.server, budget);
    char buf[64];
    const auto t0 = std::chrono::steady_clock::now();
    auto r = t.recv(buf);  // nothing sent: the deadline fires
    const auto waited = std::chrono::steady_clock::now() - t0;
    assert_false(r.has_value());
    assert_int_equal(static_cast<int>(r.error().code()),
                     static_cast<int>(flashstor::Code::kTimeout));
    assert_true(waited >= 140ms && waited < 2s);
    SSL_shutdown(s.client);
    r = t.recv(buf);
    assert_true(r.has_value());
    assert_int_equal(*r, 0);  // close_notify: orderly close
  }
  {
    Session s;
    Establish(f, s);
    flashstor::net::TransferBudget budget = IdleBudget(1000ms);
    TlsTransport t(*s.server, budget);
    close(s.sp.client);  // abrupt close without close_notify
    s.sp.client = -1;
    char buf[64];
    auto r = t.recv(buf);
    assert_true(r.has_value());
    assert_int_equal(*r, 0);
    // Writing to a gone peer fails (EPIPE/ECONNRESET) instead of hanging.
    std::string big(1 << 20, 'x');
    iovec iov{big.data(), big.size()};
    assert_false(t.sendv(std::span<const iovec>(&iov, 1)).ok());
  }
}

int main() {
  signal(SIGPIPE, SIG_IGN);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_request_response),
      cmocka_unit_test(test_many_small_buffers_coalesce),
      cmocka_unit_test(test_peer_close_and_timeout),
  };
  return cmocka_run_group_tests(tests, Setup, Teardown);
}
