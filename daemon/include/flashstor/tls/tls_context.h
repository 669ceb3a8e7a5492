// TlsContext: server TLS configuration loaded from a certificate directory, with SNI selection
// and atomic reload (SIGHUP) that leaves established connections on their old certificates.
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "flashstor/common/status.h"
#include "flashstor/tls/tls_connection.h"

namespace flashstor::tls {

// Layout of certs_dir (the MinIO convention):
//   <certs_dir>/public.crt, <certs_dir>/private.key         default certificate (required)
//   <certs_dir>/<hostname>/public.crt, .../private.key      chosen when SNI equals hostname
// PEM; public.crt may hold the chain (leaf first). Host folder names are matched
// case-insensitively; "CAs" and folders without both files are ignored.
//
// Policy (same for every certificate): TLS 1.2 and 1.3 only; TLS 1.2 ciphers ECDHE with
// AES-GCM or ChaCha20-Poly1305 only; server cipher preference; no compression; no
// renegotiation; groups X25519, P-256, P-384. ALPN: "h2" then "http/1.1" (server preference),
// "http/1.1" only when HTTP/2 is off; a client offering neither goes on without ALPN. Session
// resumption is off (no tickets, no session cache): there is then no long-lived ticket key to
// protect or rotate across processes, and S3 clients amortise the full handshake over keep-alive
// connections.
class TlsContext {
 public:
  // Loads certs_dir. kNotFound when the default pair is missing; kInvalidArgument when a
  // certificate or key does not parse or the key does not match its certificate.
  // http2: ALPN offers "h2" before "http/1.1" (else "http/1.1" only).
  static Result<std::unique_ptr<TlsContext>> Load(std::string certs_dir, bool http2 = true);
  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;

  // Re-reads certs_dir and swaps the new certificates in for new connections. On error the
  // current certificates stay in use. Thread-safe with accept(). Established connections keep
  // the snapshot they were accepted with.
  Status Reload();

  // A server-side TLS session on fd (non-blocking, connected). Thread-safe. kInternal if
  // OpenSSL cannot allocate.
  Result<TlsConnection> accept(int fd) const;

  // Host names with their own certificate in the current snapshot (for logs), sorted.
  std::string host_names() const;

 private:
  TlsContext(std::string certs_dir, bool http2) : certs_dir_(std::move(certs_dir)), http2_(http2) {}

  std::string certs_dir_;
  bool http2_;
  mutable std::mutex mu_;
  std::shared_ptr<const TlsCertSet> current_;
};

}  // namespace flashstor::tls
