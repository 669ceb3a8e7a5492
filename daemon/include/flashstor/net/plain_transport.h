// PlainTransport: http::Transport over a non-blocking TCP socket, waiting with poll() within the
// request's TransferBudget (inactivity, minimum rate, total deadline), so a stalled or trickling
// peer costs a worker a bounded time.
#pragma once

#include "flashstor/http/transport.h"
#include "flashstor/net/transfer_budget.h"

namespace flashstor::net {

class PlainTransport final : public http::Transport {
 public:
  // budget must outlive the transport.
  PlainTransport(int fd, TransferBudget& budget) : fd_(fd), budget_(budget) {}
  Result<size_t> recv(std::span<char> out) override;
  Status sendv(std::span<const iovec> iov) override;

 private:
  int fd_;
  TransferBudget& budget_;
};

}  // namespace flashstor::net
