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

// The cancel token's park hook (CancelToken::set_park_hook, arg: the Connection): the request
// task is about to park in a server-side wait (a lock, a quorum of drives, memory), so its
// socket is armed for a close (EPOLLRDHUP, one-shot; errors and hang-ups always report). No
// system call on requests that never park there; one per park otherwise, unless the socket is
// still armed from the previous one.
void WatchForClose(void* connection);

}  // namespace flashstor::net
