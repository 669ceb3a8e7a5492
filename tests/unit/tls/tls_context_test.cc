// Unit tests for tls::TlsContext and TlsConnection: SNI certificate selection, protocol policy
// (TLS 1.1 refused, 1.2 with AEAD), reload keeping old connections alive, bad directories.
#include <signal.h>

#include <string>

#include "flashstor/tls/tls_context.h"
#include "test_pki.h"

// cmocka needs these C headers first, has no extern "C" of its own, and comes after the C++
// headers (its macros clash with <ios>).
#include "cmocka_cpp.h"

using namespace flashstor::tls;
using testpki::HandshakeResult;

namespace {

struct Fixture {
  std::string dir;    // CA and scratch files
  std::string certs;  // the certs_dir given to TlsContext
};

int Setup(void** state) {
  auto* f = new Fixture;
  f->dir = testpki::MakeTempDir();
  f->certs = f->dir + "/certs";
  const bool ok = !f->dir.empty() && testpki::MakeCa(f->dir) &&
                  testpki::IssueCert(f->dir, "default.test", f->certs) &&
                  testpki::IssueCert(f->dir, "alpha.test", f->certs + "/alpha.test") &&
                  testpki::IssueCert(f->dir, "beta.test", f->certs + "/Beta.Test");
  *state = f;
  return ok ? 0 : -1;
}

int Teardown(void** state) {
  auto* f = static_cast<Fixture*>(*state);
  testpki::RemoveDir(f->dir);
  delete f;
  return 0;
}

// One full client connection: handshake with sni, returns the presented CN ("" on failure).
std::string ConnectCn(const TlsContext& ctx, const std::string& dir, const std::string& sni,
                      HandshakeResult* result = nullptr, int max_version = TLS1_3_VERSION) {
  testpki::SocketPair sp;
  assert_true(sp.open());
  auto conn = ctx.accept(sp.server);
  assert_true(conn.has_value());
  SSL_CTX* cctx = testpki::ClientCtx(dir, TLS1_VERSION, max_version);
  assert_non_null(cctx);
  SSL* client = testpki::ClientSsl(cctx, sp.client, sni);
  const HandshakeResult r = testpki::DriveHandshake(*conn, client);
  if (result != nullptr) *result = r;
  std::string cn = r == HandshakeResult::kOk ? testpki::PeerCn(client) : "";
  if (r == HandshakeResult::kOk) {
    assert_true(conn->handshake_done());
    assert_true(conn->server_name() == sni);
  }
  SSL_free(client);
  SSL_CTX_free(cctx);
  return cn;
}

}  // namespace

static void test_sni_selects_certificate(void** state) {
  auto* f = static_cast<Fixture*>(*state);
  auto ctx = TlsContext::Load(f->certs);
  assert_true(ctx.has_value());
  assert_string_equal((*ctx)->host_names().c_str(), "alpha.test,beta.test");
  assert_string_equal(ConnectCn(**ctx, f->dir, "alpha.test").c_str(), "alpha.test");
  assert_string_equal(ConnectCn(**ctx, f->dir, "beta.test").c_str(), "beta.test");
  assert_string_equal(ConnectCn(**ctx, f->dir, "BETA.test").c_str(), "beta.test");
  assert_string_equal(ConnectCn(**ctx, f->dir, "default.test").c_str(), "default.test");
  // Unknown name: the default certificate, which then fails the client's host check.
  HandshakeResult r;
  assert_string_equal(ConnectCn(**ctx, f->dir, "gamma.test", &r).c_str(), "");
  assert_int_equal(static_cast<int>(r), static_cast<int>(HandshakeResult::kClientFailed));
}

static void test_protocol_policy(void** state) {
  auto* f = static_cast<Fixture*>(*state);
  auto ctx = TlsContext::Load(f->certs);
  assert_true(ctx.has_value());
  HandshakeResult r;
  assert_string_equal(ConnectCn(**ctx, f->dir, "alpha.test", &r, TLS1_1_VERSION).c_str(), "");
  assert_int_equal(static_cast<int>(r), static_cast<int>(HandshakeResult::kServerFailed));

  // TLS 1.2 works, with an ECDHE AEAD suite; TLS 1.3 is the default.
  testpki::SocketPair sp;
  assert_true(sp.open());
  auto conn = (*ctx)->accept(sp.server);
  assert_true(conn.has_value());
  SSL_CTX* cctx = testpki::ClientCtx(f->dir, TLS1_2_VERSION, TLS1_2_VERSION);
  SSL* client = testpki::ClientSsl(cctx, sp.client, "alpha.test");
  assert_int_equal(static_cast<int>(testpki::DriveHandshake(*conn, client)),
                   static_cast<int>(HandshakeResult::kOk));
  assert_string_equal(std::string(conn->protocol()).c_str(), "TLSv1.2");
  const std::string cipher(conn->cipher());
  assert_true(cipher.starts_with("ECDHE-ECDSA-"));
  assert_true(cipher.find("GCM") != std::string::npos ||
              cipher.find("CHACHA20") != std::string::npos);
  // Renegotiation is refused.
  assert_int_equal(SSL_renegotiate(client), 1);
  (void)SSL_do_handshake(client);
  char buf[16];
  for (int i = 0; i < 5; ++i) {
    auto io = conn->read(buf);
    if (io.status == TlsIoStatus::kError || io.status == TlsIoStatus::kClosed) break;
  }
  assert_int_equal(SSL_renegotiate_pending(client), 1);  // never completed
  ERR_clear_error();
  SSL_free(client);
  SSL_CTX_free(cctx);
}

static void test_data_and_close(void** state) {
  auto* f = static_cast<Fixture*>(*state);
  auto ctx = TlsContext::Load(f->certs);
  assert_true(ctx.has_value());
  testpki::SocketPair sp;
  assert_true(sp.open());
  auto conn = (*ctx)->accept(sp.server);
  SSL_CTX* cctx = testpki::ClientCtx(f->dir, TLS1_2_VERSION, TLS1_3_VERSION);
  SSL* client = testpki::ClientSsl(cctx, sp.client, "alpha.test");
  assert_int_equal(static_cast<int>(testpki::DriveHandshake(*conn, client)),
                   static_cast<int>(HandshakeResult::kOk));
  char buf[64];
  auto io = conn->read(buf);
  assert_int_equal(static_cast<int>(io.status), static_cast<int>(TlsIoStatus::kWantRead));
  assert_int_equal(SSL_write(client, "hello", 5), 5);
  io = conn->read(std::span<char>(buf, 2));
  assert_int_equal(static_cast<int>(io.status), static_cast<int>(TlsIoStatus::kOk));
  assert_int_equal(io.bytes, 2);
  assert_int_equal(conn->pending(), 3);  // the rest is buffered inside OpenSSL
  io = conn->read(buf);
  assert_int_equal(io.bytes, 3);
  io = conn->write(std::span<const char>("world", 5));
  assert_int_equal(io.bytes, 5);
  assert_int_equal(SSL_read(client, buf, sizeof(buf)), 5);
  assert_memory_equal(buf, "world", 5);
  assert_int_equal(SSL_shutdown(client), 0);
  io = conn->read(buf);
  assert_int_equal(static_cast<int>(io.status), static_cast<int>(TlsIoStatus::kClosed));
  SSL_free(client);
  SSL_CTX_free(cctx);
  // Moved-from connections fail cleanly.
  TlsConnection moved = std::move(*conn);
  io = conn->read(buf);
  assert_int_equal(static_cast<int>(io.status), static_cast<int>(TlsIoStatus::kError));
}

static void test_reload_keeps_old_connections(void** state) {
  auto* f = static_cast<Fixture*>(*state);
  auto ctx = TlsContext::Load(f->certs);
  assert_true(ctx.has_value());
  // An established connection on the first certificate.
  testpki::SocketPair sp;
  assert_true(sp.open());
  auto old_conn = (*ctx)->accept(sp.server);
  SSL_CTX* cctx = testpki::ClientCtx(f->dir, TLS1_2_VERSION, TLS1_3_VERSION);
  SSL* old_client = testpki::ClientSsl(cctx, sp.client, "alpha.test");
  assert_int_equal(static_cast<int>(testpki::DriveHandshake(*old_conn, old_client)),
                   static_cast<int>(HandshakeResult::kOk));
  assert_string_equal(testpki::PeerCn(old_client).c_str(), "alpha.test");

  // Replace alpha.test's certificate with one for a new name, and add a host.
  assert_true(testpki::IssueCert(f->dir, "alpha2.test", f->certs + "/alpha.test"));
  assert_true(testpki::IssueCert(f->dir, "gamma.test", f->certs + "/gamma.test"));
  assert_true((*ctx)->Reload().ok());
  HandshakeResult r;
  (void)ConnectCn(**ctx, f->dir, "alpha.test", &r);  // host check fails: the cert changed...
  assert_int_equal(static_cast<int>(r), static_cast<int>(HandshakeResult::kClientFailed));
  {
    // ...to the new one (checked without the host name verification).
    testpki::SocketPair sp2;
    assert_true(sp2.open());
    auto conn2 = (*ctx)->accept(sp2.server);
    SSL* c2 = SSL_new(cctx);
    SSL_set_fd(c2, sp2.client);
    SSL_set_connect_state(c2);
    SSL_set_tlsext_host_name(c2, "alpha.test");
    assert_int_equal(static_cast<int>(testpki::DriveHandshake(*conn2, c2)),
                     static_cast<int>(HandshakeResult::kOk));
    assert_string_equal(testpki::PeerCn(c2).c_str(), "alpha2.test");
    SSL_free(c2);
  }
  assert_string_equal(ConnectCn(**ctx, f->dir, "gamma.test").c_str(), "gamma.test");

  // The old connection still works both ways on its old certificate.
  char buf[16];
  assert_int_equal(SSL_write(old_client, "ping", 4), 4);
  auto io = old_conn->read(buf);
  assert_int_equal(static_cast<int>(io.status), static_cast<int>(TlsIoStatus::kOk));
  assert_int_equal(io.bytes, 4);
  assert_memory_equal(buf, "ping", 4);
  io = old_conn->write(std::span<const char>("pong", 4));
  assert_int_equal(io.bytes, 4);
  assert_int_equal(SSL_read(old_client, buf, sizeof(buf)), 4);
  assert_memory_equal(buf, "pong", 4);
  SSL_free(old_client);

  // A broken reload keeps the current certificates.
  assert_true(testpki::Shell("echo garbage > '" + f->certs + "/private.key'"));
  assert_false((*ctx)->Reload().ok());
  assert_string_equal(ConnectCn(**ctx, f->dir, "gamma.test").c_str(), "gamma.test");
  assert_true(testpki::IssueCert(f->dir, "default.test", f->certs));  // restore
  SSL_CTX_free(cctx);
}

static void test_bad_directories(void** state) {
  auto* f = static_cast<Fixture*>(*state);
  auto missing = TlsContext::Load(f->dir + "/does-not-exist");
  assert_false(missing.has_value());
  assert_int_equal(static_cast<int>(missing.error().code()),
                   static_cast<int>(flashstor::Code::kNotFound));
  // A key that does not match its certificate.
  const std::string bad = f->dir + "/mismatch";
  assert_true(testpki::IssueCert(f->dir, "one.test", bad));
  assert_true(testpki::IssueCert(f->dir, "two.test", f->dir + "/other"));
  assert_true(testpki::Shell("cp '" + f->dir + "/other/private.key' '" + bad + "/private.key'"));
  auto mismatch = TlsContext::Load(bad);
  assert_false(mismatch.has_value());
  assert_int_equal(static_cast<int>(mismatch.error().code()),
                   static_cast<int>(flashstor::Code::kInvalidArgument));
  // Folders that are not certificate folders are ignored.
  assert_true(testpki::Shell("mkdir -p '" + f->dir + "/other/CAs' '" + f->dir + "/other/empty'"));
  auto ok = TlsContext::Load(f->dir + "/other");
  assert_true(ok.has_value());
  assert_string_equal((*ok)->host_names().c_str(), "");
}

int main() {
  signal(SIGPIPE, SIG_IGN);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_sni_selects_certificate),
      cmocka_unit_test(test_protocol_policy),
      cmocka_unit_test(test_data_and_close),
      cmocka_unit_test(test_reload_keeps_old_connections),
      cmocka_unit_test(test_bad_directories),
  };
  return cmocka_run_group_tests(tests, Setup, Teardown);
}
