// Connection: the state of one client connection as it moves between its event loop (waiting
// for a request head) and a request task (a fiber on the same loop, streaming a body and
// response); LiveState, what it holds only while not idle. Internal to net/.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "flashstor/http/parser.h"
#include "flashstor/http/request.h"
#include "flashstor/mem/arena.h"
#include "flashstor/task/cancel_token.h"
#include "flashstor/task/fiber.h"

namespace flashstor::tls {
class TlsConnection;
}

namespace flashstor::net {

struct LoopContext;
class H2Session;

// Bytes of the arena's first block used as the receive buffer for heads (and the start of a
// body). Heads are bounded below this by http::Limits::max_head_bytes.
inline constexpr size_t kReceiveBuffer = 32 * 1024;

enum class ConnState : uint8_t {
  kIdle,
  kReadingHead,
  kHandshake,
  kDispatched,  // a request task owns it (queued for admission or running)
  kReplying,    // the loop sends a response it produced itself (health, metrics)
  kLingering,
  kHttp2  // an HTTP/2 session's driver task owns it (h2_session.h)
};

// What an epoll registration points at: a listening socket or a connection.
struct PollTag {
  enum Kind : uint8_t { kListener, kConnection } kind;
};

struct ListenerTag : PollTag {
  int fd = -1;
  bool tls = false;
};

// The peer's address as accept() gave it, in 20 bytes (an idle connection keeps it; its text
// is made when a request starts).
struct PeerAddress {
  uint8_t family = 0;  // AF_INET, AF_INET6, or 0 when unknown
  uint16_t port = 0;
  uint8_t bytes[16] = {};
};
PeerAddress PeerFromSockaddr(const void* sockaddr_storage);
// "host:port" ("?:0" when unknown); 64 bytes hold the longest IPv6 form and a port.
void FormatPeer(const PeerAddress& peer, char (&out)[64]);

// What a connection holds only while it is not idle: from the first bytes of a request to the
// moment it waits idle for the next one (or closes). An idle keep-alive connection has none,
// so it costs the Connection below and nothing else.
struct LiveState {
  LiveState(const http::Limits& limits, const PeerAddress& peer) : parser(limits) {
    FormatPeer(peer, remote);
  }

  http::RequestParser parser;
  http::Request request;
  size_t head_bytes = 0;
  uint64_t head_start_ns = 0;
  int64_t queued_ms = 0;  // when the request asked for admission (RequestTasks)

  // The request task parked until the socket is ready (kDispatched only; loop thread).
  task::Waker io_waiter;
  // The running request's cancel token (request_worker.cc): fired when the client closes or
  // resets the connection while the request waits server-side. Reused by the next pipelined
  // request when no straggler kept a copy.
  task::CancelToken cancel;
  // The socket is armed for a close only (EPOLLRDHUP), because the request task parked in a
  // server-side wait (WatchForClose): an event now means the client went away.
  bool watching_close = false;

  std::string reply;  // a loop-served response being sent, and how much of it went out
  size_t reply_sent = 0;
  int64_t linger_until_ms = 0;  // lingering close ends by then, whatever the client sends

  char remote[64] = {};  // "host:port"
  // The remote address without the port: the key of its request share.
  std::string_view client() const {
    std::string_view r(remote);
    return r.substr(0, r.rfind(':'));
  }
};

struct Connection : PollTag {
  explicit Connection(mem::BlockPool* pool) : PollTag{kConnection}, arena(pool) {}

  // Waits for a request holding nothing but itself: the arena's blocks go back to the loop's
  // pool and the LiveState is freed; both are taken again when request bytes arrive.
  void go_idle() {
    arena.release_blocks();
    buf = nullptr;
    live.reset();
    state = ConnState::kIdle;
  }

  int fd = -1;
  ConnState state = ConnState::kIdle;
  bool tls = false;
  int served = 0;
  LoopContext* loop = nullptr;
  tls::TlsConnection* tls_conn = nullptr;  // owned; set for TLS connections after accept
  H2Session* h2 = nullptr;                 // owned; set once the client spoke HTTP/2
  std::unique_ptr<LiveState> live;         // null while idle with nothing received

  mem::Arena arena;
  char* buf = nullptr;  // kReceiveBuffer bytes from arena; nullptr until the first read
  size_t len = 0;       // bytes received into buf

  // Intrusive FIFO timer list membership (deadlines are monotonic per list).
  int64_t deadline_ms = 0;
  Connection* prev = nullptr;
  Connection* next = nullptr;
  struct TimerList* list = nullptr;
  // Membership of the loop's list of all its connections (ConnectionList).
  Connection* all_prev = nullptr;
  Connection* all_next = nullptr;

  PeerAddress peer;
};

// What an idle keep-alive connection costs the heap (docs/execution-model.md, "An idle
// keep-alive connection"): keep it there.
static_assert(sizeof(Connection) <= 208, "an idle connection's state grew");

// Every connection of one event loop, linked through the connections themselves.
struct ConnectionList {
  Connection* head = nullptr;

  void insert(Connection* c) {
    c->all_prev = nullptr;
    c->all_next = head;
    if (head) head->all_prev = c;
    head = c;
  }
  void erase(Connection* c) {
    if (c->all_prev)
      c->all_prev->all_next = c->all_next;
    else
      head = c->all_next;
    if (c->all_next) c->all_next->all_prev = c->all_prev;
    c->all_prev = c->all_next = nullptr;
  }
  // Calls f(c) for each connection; f may erase (and delete) the one it is given.
  template <class F>
  void for_each(F&& f) {
    for (Connection *c = head, *n; c != nullptr; c = n) {
      n = c->all_next;
      f(c);
    }
  }
};

// FIFO of connections sharing one timeout, so the earliest deadline is always at the head.
struct TimerList {
  Connection* head = nullptr;
  Connection* tail = nullptr;

  void push(Connection* c, int64_t deadline) {
    unlink(c);
    c->deadline_ms = deadline;
    c->list = this;
    c->prev = tail;
    c->next = nullptr;
    if (tail)
      tail->next = c;
    else
      head = c;
    tail = c;
  }
  static void unlink(Connection* c) {
    TimerList* l = c->list;
    if (l == nullptr) return;
    if (c->prev)
      c->prev->next = c->next;
    else
      l->head = c->next;
    if (c->next)
      c->next->prev = c->prev;
    else
      l->tail = c->prev;
    c->prev = c->next = nullptr;
    c->list = nullptr;
  }
};

}  // namespace flashstor::net
