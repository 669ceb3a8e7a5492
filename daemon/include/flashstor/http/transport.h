// Transport: blocking, deadline-bounded byte I/O of one connection while a worker thread owns
// it (plain TCP now, TLS later). The event loop never calls these.
#pragma once

#include <sys/uio.h>

#include <cstddef>
#include <span>

#include "flashstor/common/status.h"

namespace flashstor::http {

class Transport {
 public:
  virtual ~Transport() = default;
  // Returns bytes received, 0 when the peer closed; kTimeout past the I/O deadline.
  virtual Result<size_t> recv(std::span<char> out) = 0;
  // Sends every byte of every buffer (writev), or fails (kCancelled when the peer is gone).
  virtual Status sendv(std::span<const iovec> iov) = 0;
};

}  // namespace flashstor::http
