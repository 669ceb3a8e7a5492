// TlsConnection: one server-side TLS session over a non-blocking socket, driven by the event
// loop (handshake/read/write return WANT_READ/WANT_WRITE instead of blocking).
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <string_view>

#include "flashstor/common/status.h"

typedef struct ssl_st SSL;  // as <openssl/types.h> declares it

namespace flashstor::tls {

struct TlsCertSet;  // the certificate snapshot a connection was accepted with (tls_context.h)

enum class TlsIoStatus {
  kOk,         // done; bytes holds the count for read/write
  kWantRead,   // wait for the fd to become readable, then call the same function again
  kWantWrite,  // wait for the fd to become writable, then call the same function again
  kClosed,     // the peer closed (close_notify or EOF); no more data
  kError,      // protocol or socket error; error says which. Close the connection.
};

struct TlsIo {
  TlsIoStatus status = TlsIoStatus::kOk;
  size_t bytes = 0;
  Status error;  // set with kError: kPermissionDenied for handshake/protocol failures
                 // (message is OpenSSL's static reason text), kCancelled/kIoError for sockets
};

// Threading: one thread at a time (the event loop, then the worker that owns the connection).
// Does not own the fd: the caller closes it after the TlsConnection is gone. The process must
// ignore SIGPIPE (OpenSSL's socket BIO uses write()).
class TlsConnection {
 public:
  TlsConnection(TlsConnection&& other) noexcept;
  TlsConnection& operator=(TlsConnection&& other) noexcept;
  TlsConnection(const TlsConnection&) = delete;
  TlsConnection& operator=(const TlsConnection&) = delete;
  ~TlsConnection();

  // Runs the server handshake as far as the socket allows. kOk once complete.
  TlsIo handshake();
  // Reads up to out.size() decrypted bytes (kOk with bytes > 0). Completes the handshake first
  // if needed. A retry after kWant* must pass the same out.
  TlsIo read(std::span<char> out);
  // Writes up to data.size() bytes (partial writes allowed: kOk with bytes <= data.size()). A
  // retry after kWant* may pass a moved buffer but must start with the same bytes.
  TlsIo write(std::span<const char> data);
  // Sends close_notify (does not wait for the peer's). kOk when sent.
  TlsIo shutdown();

  bool handshake_done() const;
  // Decrypted bytes buffered inside OpenSSL: readable without the fd becoming readable, so the
  // event loop must drain these before it waits in epoll.
  size_t pending() const;
  // SNI host name the client asked for (empty if none); valid while the connection lives.
  std::string_view server_name() const;
  std::string_view protocol() const;  // "TLSv1.3", "TLSv1.2"
  std::string_view cipher() const;
  int fd() const { return fd_; }
  SSL* native_handle() const { return ssl_; }

 private:
  friend class TlsContext;
  TlsConnection(SSL* ssl, int fd, std::shared_ptr<const TlsCertSet> certs);

  SSL* ssl_ = nullptr;
  int fd_ = -1;
  std::shared_ptr<const TlsCertSet> certs_;  // keeps the SNI contexts alive for this session
};

}  // namespace flashstor::tls
