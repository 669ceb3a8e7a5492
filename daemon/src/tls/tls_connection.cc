// TlsConnection: non-blocking SSL_accept/SSL_read/SSL_write mapped to event-loop outcomes.
#include "flashstor/tls/tls_connection.h"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <cerrno>
#include <utility>

namespace flashstor::tls {
namespace {

// Maps the result of an SSL_* call to TlsIo and leaves the thread's error queue empty (a stale
// entry would make the next call on any connection of this thread misreport).
TlsIo Classify(SSL* ssl, int ret) {
  const int saved_errno = errno;
  TlsIo io;
  switch (SSL_get_error(ssl, ret)) {
    case SSL_ERROR_WANT_READ:
      io.status = TlsIoStatus::kWantRead;
      break;
    case SSL_ERROR_WANT_WRITE:
      io.status = TlsIoStatus::kWantWrite;
      break;
    case SSL_ERROR_ZERO_RETURN:
      io.status = TlsIoStatus::kClosed;
      break;
    case SSL_ERROR_SYSCALL:
      if (ERR_peek_error() == 0 && (saved_errno == 0 || saved_errno == ECONNRESET)) {
        io.status = TlsIoStatus::kClosed;
      } else {
        io.status = TlsIoStatus::kError;
        io.error = Status(
            saved_errno == EPIPE || saved_errno == ECONNRESET ? Code::kCancelled : Code::kIoError,
            "tls: socket error", saved_errno);
      }
      break;
    case SSL_ERROR_SSL: {
      const unsigned long err = ERR_peek_last_error();
      if (ERR_GET_REASON(err) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
        // Most HTTP clients close without close_notify; HTTP framing (Content-Length, chunk
        // ends) detects truncation, so this is an ordinary close, not an attack signal.
        io.status = TlsIoStatus::kClosed;
        break;
      }
      const char* reason = ERR_reason_error_string(err);  // static table text
      io.status = TlsIoStatus::kError;
      io.error =
          Status(Code::kPermissionDenied, reason != nullptr ? reason : "tls: protocol error");
      break;
    }
    default:
      io.status = TlsIoStatus::kError;
      io.error = Status(Code::kInternal, "tls: unexpected SSL_get_error");
  }
  ERR_clear_error();
  return io;
}

}  // namespace

TlsConnection::TlsConnection(SSL* ssl, int fd, std::shared_ptr<const TlsCertSet> certs)
    : ssl_(ssl), fd_(fd), certs_(std::move(certs)) {}

TlsConnection::TlsConnection(TlsConnection&& other) noexcept
    : ssl_(std::exchange(other.ssl_, nullptr)),
      fd_(std::exchange(other.fd_, -1)),
      certs_(std::move(other.certs_)) {}

TlsConnection& TlsConnection::operator=(TlsConnection&& other) noexcept {
  if (this != &other) {
    SSL_free(ssl_);
    ssl_ = std::exchange(other.ssl_, nullptr);
    fd_ = std::exchange(other.fd_, -1);
    certs_ = std::move(other.certs_);
  }
  return *this;
}

TlsConnection::~TlsConnection() {
  SSL_free(ssl_);
}

TlsIo TlsConnection::handshake() {
  if (ssl_ == nullptr) return {TlsIoStatus::kError, 0, Status(Code::kInternal, "tls: moved")};
  ERR_clear_error();
  errno = 0;
  const int r = SSL_do_handshake(ssl_);
  if (r == 1) return {};
  return Classify(ssl_, r);
}

TlsIo TlsConnection::read(std::span<char> out) {
  if (ssl_ == nullptr) return {TlsIoStatus::kError, 0, Status(Code::kInternal, "tls: moved")};
  ERR_clear_error();
  errno = 0;
  size_t n = 0;
  const int r = SSL_read_ex(ssl_, out.data(), out.size(), &n);
  if (r == 1) return {TlsIoStatus::kOk, n, {}};
  return Classify(ssl_, r);
}

TlsIo TlsConnection::write(std::span<const char> data) {
  if (ssl_ == nullptr) return {TlsIoStatus::kError, 0, Status(Code::kInternal, "tls: moved")};
  if (data.empty()) return {};
  ERR_clear_error();
  errno = 0;
  size_t n = 0;
  const int r = SSL_write_ex(ssl_, data.data(), data.size(), &n);
  if (r == 1) return {TlsIoStatus::kOk, n, {}};
  return Classify(ssl_, r);
}

TlsIo TlsConnection::shutdown() {
  if (ssl_ == nullptr) return {TlsIoStatus::kError, 0, Status(Code::kInternal, "tls: moved")};
  ERR_clear_error();
  errno = 0;
  const int r = SSL_shutdown(ssl_);
  if (r >= 0) return {};  // 0: our close_notify is out, the peer's not yet seen (fine)
  return Classify(ssl_, r);
}

bool TlsConnection::handshake_done() const {
  return ssl_ != nullptr && SSL_is_init_finished(ssl_) == 1;
}

size_t TlsConnection::pending() const {
  return ssl_ == nullptr ? 0 : static_cast<size_t>(SSL_pending(ssl_));
}

std::string_view TlsConnection::server_name() const {
  const char* name =
      ssl_ == nullptr ? nullptr : SSL_get_servername(ssl_, TLSEXT_NAMETYPE_host_name);
  return name == nullptr ? std::string_view() : std::string_view(name);
}

std::string_view TlsConnection::protocol() const {
  return ssl_ == nullptr ? std::string_view() : std::string_view(SSL_get_version(ssl_));
}

std::string_view TlsConnection::cipher() const {
  const char* name = ssl_ == nullptr ? nullptr : SSL_get_cipher_name(ssl_);
  return name == nullptr ? std::string_view() : std::string_view(name);
}

}  // namespace flashstor::tls
