// Connection: the state of one client connection as it moves between its event loop (waiting
// for a request head) and a request task (a fiber on the same loop, streaming a body and
// response). Internal to net/.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

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

struct Connection : PollTag {
  Connection(const http::Limits& limits, mem::BlockPool* pool)
      : PollTag{kConnection}, arena(pool), parser(limits) {}

  int fd = -1;
  LoopContext* loop = nullptr;
  ConnState state = ConnState::kIdle;
  bool tls = false;
  tls::TlsConnection* tls_conn = nullptr;  // owned; set for TLS connections after accept
  H2Session* h2 = nullptr;                 // owned; set once the client spoke HTTP/2

  mem::Arena arena;
  char* buf = nullptr;  // kReceiveBuffer bytes from arena; nullptr until the first read
  size_t len = 0;       // bytes received into buf
  http::RequestParser parser;
  http::Request request;
  size_t head_bytes = 0;
  uint64_t head_start_ns = 0;
  int served = 0;

  // Intrusive FIFO timer list membership (deadlines are monotonic per list).
  int64_t deadline_ms = 0;
  Connection* prev = nullptr;
  Connection* next = nullptr;
  struct TimerList* list = nullptr;
  int64_t linger_until_ms = 0;  // lingering close ends by then, whatever the client sends

  // The request task parked until the socket is ready (kDispatched only; loop thread).
  task::Waker io_waiter;
  // The running request's cancel token (request_worker.cc): fired when the client closes or
  // resets the connection while the request waits server-side. Reused by the next request
  // when no straggler kept a copy, so a keep-alive connection allocates it once.
  task::CancelToken cancel;
  // The socket is armed for a close only (EPOLLRDHUP), because the request task parked in a
  // server-side wait (WatchForClose): an event now means the client went away.
  bool watching_close = false;
  int64_t queued_ms = 0;  // when the request asked for admission (RequestTasks)

  char remote[64] = {};
  char client[48] = {};  // remote address without the port: key of its request share

  std::string reply;  // a loop-served response being sent, and how much of it went out
  size_t reply_sent = 0;
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
