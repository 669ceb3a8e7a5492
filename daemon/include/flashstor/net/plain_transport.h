// PlainTransport: http::Transport over a non-blocking TCP socket, waiting with poll() up to an
// inactivity deadline, so a stalled peer costs a worker at most io_timeout.
#pragma once

#include "flashstor/http/transport.h"

namespace flashstor::net {

class PlainTransport final : public http::Transport {
 public:
  PlainTransport(int fd, int timeout_ms) : fd_(fd), timeout_ms_(timeout_ms) {}
  Result<size_t> recv(std::span<char> out) override;
  Status sendv(std::span<const iovec> iov) override;

 private:
  Status wait(short events);
  int fd_;
  int timeout_ms_;
};

}  // namespace flashstor::net
