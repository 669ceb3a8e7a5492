// TlsTransport: the blocking, deadline-bounded http::Transport over a TlsConnection, used while
// a worker thread owns the connection (poll() on the non-blocking fd between SSL calls).
#pragma once

#include <chrono>

#include "flashstor/http/transport.h"
#include "flashstor/net/transfer_budget.h"
#include "flashstor/tls/tls_connection.h"

namespace flashstor::tls {

class TlsTransport final : public http::Transport {
 public:
  // budget bounds every wait for the socket (inactivity, minimum rate, total deadline): a call
  // fails with kTimeout once it is spent. conn and budget must outlive the transport.
  TlsTransport(TlsConnection& conn, net::TransferBudget& budget) : conn_(conn), budget_(budget) {}

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
  net::TransferBudget& budget_;
};

}  // namespace flashstor::tls
