// Chooses the worker-phase transport of a connection (plain TCP, or TLS over its session) and
// builds it in the connection's arena, so serving a request allocates nothing from the heap.
#include <new>

#include "connection.h"
#include "flashstor/net/plain_transport.h"
#include "flashstor/tls/tls_transport.h"

namespace flashstor::net {

http::Transport* MakeTransport(Connection& c, TransferBudget& budget) {
  if (c.tls_conn != nullptr) {
    void* place = c.arena.allocate_scoped(sizeof(tls::TlsTransport), alignof(tls::TlsTransport));
    if (place == nullptr) return nullptr;
    return new (place) tls::TlsTransport(*c.tls_conn, budget);
  }
  void* place = c.arena.allocate_scoped(sizeof(PlainTransport), alignof(PlainTransport));
  if (place == nullptr) return nullptr;
  return new (place) PlainTransport(c.fd, budget);
}

}  // namespace flashstor::net
