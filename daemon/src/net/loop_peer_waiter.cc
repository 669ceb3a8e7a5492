// LoopPeerWaiter: one-shot epoll arming of the connection plus a fiber park with a deadline.
#include "loop_peer_waiter.h"

#include <poll.h>
#include <sys/epoll.h>

#include <cerrno>

#include "flashstor/net/event_loop.h"
#include "http_server_impl.h"

namespace flashstor::net {

int LoopPeerWaiter::wait(int fd, short events, int timeout_ms) {
  if (cancel_ != nullptr && cancel_->load(std::memory_order_relaxed)) return -ECANCELED;
  if (task::CurrentFiber() == nullptr) {
    // Off the loop (a call the engine runs on its pool writes progress to the client): the
    // socket is disarmed on the loop while its task waits, so poll it here.
    pollfd p{.fd = fd, .events = events, .revents = 0};
    const int r = ::poll(&p, 1, timeout_ms);
    return r < 0 ? -errno : (r > 0 ? 1 : 0);
  }
  uint32_t ev = EPOLLONESHOT | EPOLLRDHUP;
  if (events & POLLIN) ev |= EPOLLIN;
  if (events & POLLOUT) ev |= EPOLLOUT;
  c_.live->io_waiter = task::PrepareWait();
  c_.live->watching_close = false;  // this arming replaces a close watch (and reports a close too)
  if (!c_.loop->loop->mod(fd, ev, &c_).ok()) {
    c_.live->io_waiter = {};
    return -EBADF;
  }
  const bool ready = task::Park(c_.live->io_waiter, MonotonicMs() + timeout_ms);
  c_.live->io_waiter = {};
  if (cancel_ != nullptr && cancel_->load(std::memory_order_relaxed)) return -ECANCELED;
  return ready ? 1 : 0;
}

void WatchForClose(void* connection) {
  Connection& c = *static_cast<Connection*>(connection);
  if (c.state != ConnState::kDispatched || c.live->watching_close) return;
  c.live->watching_close = c.loop->loop->mod(c.fd, EPOLLRDHUP | EPOLLONESHOT, &c).ok();
}

void WakeConnectionTask(Connection& c) {
  task::Waker w = c.live->io_waiter;
  c.live->io_waiter = {};
  w.wake();
}

}  // namespace flashstor::net
