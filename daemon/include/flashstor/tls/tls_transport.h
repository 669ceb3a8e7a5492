// TlsTransport: the blocking, deadline-bounded http::Transport over a TlsConnection, used while
// a worker thread owns the connection (poll() on the non-blocking fd between SSL calls).
#pragma once

#include <chrono>

#include "flashstor/http/transport.h"
#include "flashstor/tls/tls_connection.h"

namespace flashstor::tls {

class TlsTransport final : public http::Transport {
 public:
  // io_timeout bounds each wait for the socket: a call fails with kTimeout when the peer makes
  // no progress for that long. conn must outlive the transport.
  TlsTransport(TlsConnection& conn, std::chrono::milliseconds io_timeout)
      : conn_(conn), io_timeout_(io_timeout) {}

  // Bytes received, 0 when the peer closed, kTimeout, or the TLS/socket error.
  Result<size_t> recv(std::span<char> out) override;
  // Small buffers (< 4 KiB) are gathered into one record-sized stage so headers and short
  // bodies do not become one tiny TLS record each; large buffers go to SSL_write_ex directly
  // in 16 KiB slices (no copy). kCancelled when the peer is gone, kTimeout when stuck.
  Status sendv(std::span<const iovec> iov) override;

  static constexpr size_t kRecordBytes = 16 * 1024;
  static constexpr size_t kCoalesceBelow = 4 * 1024;

 private:
  Status wait(TlsIoStatus want);
  Status write_all(const char* data, size_t len);

  TlsConnection& conn_;
  std::chrono::milliseconds io_timeout_;
};

}  // namespace flashstor::tls
