// LoopPeerWaiter: how a request task waits for its client: it arms the connection's socket on
// its event loop and parks; the loop wakes it when the socket is ready or the wait times out.
#pragma once

#include <atomic>

#include "connection.h"
#include "flashstor/net/transfer_budget.h"

namespace flashstor::net {

class LoopPeerWaiter final : public PeerWaiter {
 public:
  // cancel: when set (server stopping), waits end at once with -ECANCELED.
  LoopPeerWaiter(Connection& c, const std::atomic<bool>* cancel) : c_(c), cancel_(cancel) {}
  int wait(int fd, short events, int timeout_ms) override;

 private:
  Connection& c_;
  const std::atomic<bool>* cancel_;
};

// The loop's side: the connection's socket became ready while its task waits for it.
void WakeConnectionTask(Connection& c);

}  // namespace flashstor::net
