// The life of a connection on its event loop: accept, receive and parse the request head,
// answer health probes and early errors on the loop, hand complete heads to request tasks,
// idle keep-alive, lingering close, and the timer lists that bound each of those states.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <new>

#include "early_response.h"
#include "flashstor/obs/log.h"
#include "flashstor/obs/log_limiter.h"
#include "flashstor/tls/tls_context.h"
#include "http_server_impl.h"
#include "loop_peer_waiter.h"
#include "loop_reply.h"

namespace flashstor::net {

constexpr uint32_t kReadEvents = EPOLLIN | EPOLLRDHUP | EPOLLONESHOT;
// Lingering close after an early answer: discard what the client still sends until it has been
// silent for kLingerIdleMs, for kLingerMaxMs at most (nginx's lingering_timeout and
// lingering_time), so an SDK that sends its whole body before reading still sees the answer.
constexpr int kLingerIdleMs = 2000;
constexpr int kLingerMaxMs = 30000;

void HttpServer::Impl::on_ready(LoopContext& lc, void* data, uint32_t events) {
  auto* tag = static_cast<PollTag*>(data);
  if (tag->kind == PollTag::kListener) {
    accept_all(lc, *static_cast<ListenerTag*>(tag));
  } else {
    on_readable(lc, static_cast<Connection*>(tag), events);
  }
}

void HttpServer::Impl::accept_all(LoopContext& lc, ListenerTag& l) {
  for (int i = 0; i < 64 && !stopping.load(std::memory_order_relaxed); ++i) {
    sockaddr_storage ss{};
    socklen_t sl = sizeof(ss);
    int fd = accept4(l.fd, reinterpret_cast<sockaddr*>(&ss), &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EMFILE || errno == ENFILE) {
        obs::Log(obs::Level::kWarning, "accept: out of file descriptors");
      }
      return;
    }
    if (active.load() >= static_cast<uint64_t>(options.max_connections)) {
      ++rejected;
      ::close(fd);
      continue;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    auto* c = new Connection(&lc.blocks);
    c->fd = fd;
    c->loop = &lc;
    c->tls = l.tls;
    c->peer = PeerFromSockaddr(&ss);
    if (l.tls) {
      Result<tls::TlsConnection> session =
          tls != nullptr ? tls->accept(fd) : Err(Code::kInternal, "no TLS context");
      if (!session) {
        ::close(fd);
        delete c;
        continue;
      }
      c->tls_conn = new tls::TlsConnection(std::move(*session));
    }
    lc.conns.insert(c);
    ++accepted;
    ++active;
    // A fresh connection must deliver its first head within the header deadline.
    c->state = ConnState::kIdle;
    lc.reading.push(c, MonotonicMs() + options.header_timeout_ms);
    if (!lc.loop->add(fd, kReadEvents, c).ok()) close_conn(lc, c);
  }
}

// Reads what the connection has into its buffer: bytes read, or one of the k* codes.
ssize_t HttpServer::Impl::receive(Connection* c) {
  std::span<char> room(c->buf + c->len, kReceiveBuffer - c->len);
  if (c->tls_conn != nullptr) {
    tls::TlsIo io = c->tls_conn->read(room);
    switch (io.status) {
      case tls::TlsIoStatus::kOk:
        return static_cast<ssize_t>(io.bytes);
      case tls::TlsIoStatus::kWantRead:
        return kWantRead;
      case tls::TlsIoStatus::kWantWrite:
        return kWantWrite;
      default:
        return kClosed;
    }
  }
  ssize_t n = ::recv(c->fd, room.data(), room.size(), 0);
  if (n > 0) return n;
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return kWantRead;
  return kClosed;
}

void HttpServer::Impl::rearm(LoopContext& lc, Connection* c) {
  // Decrypted bytes may wait inside OpenSSL where epoll cannot see them.
  if (c->tls_conn != nullptr && c->tls_conn->pending() > 0 &&
      (c->state == ConnState::kIdle || c->state == ConnState::kReadingHead)) {
    return on_readable(lc, c, EPOLLIN);
  }
  if (!lc.loop->mod(c->fd, kReadEvents, c).ok()) close_conn(lc, c);
}

void HttpServer::Impl::on_readable(LoopContext& lc, Connection* c, uint32_t events) {
  if (c->state == ConnState::kDispatched) {
    // Armed for a close only while the task waits server-side: this is the client leaving.
    if (c->live->watching_close && (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0) {
      c->live->watching_close = false;
      return client_gone(c);
    }
    return WakeConnectionTask(*c);
  }
  if (c->state == ConnState::kHttp2) return c->h2->on_io_ready();
  if (c->state == ConnState::kReplying) return flush_reply(lc, c);
  if (c->state == ConnState::kLingering) {
    char scratch[16384];
    ssize_t n;
    bool got = false;
    while ((n = ::recv(c->fd, scratch, sizeof(scratch), 0)) > 0) got = true;
    if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) return close_conn(lc, c);
    if (got) {
      lc.lingering.push(c, std::min(MonotonicMs() + kLingerIdleMs, c->live->linger_until_ms));
    }
    return rearm(lc, c);
  }
  if (c->buf == nullptr) {
    // The first bytes since the connection opened or went idle: it is live until it next idles.
    if (!c->live) c->live.reset(new (std::nothrow) LiveState(options.limits, c->peer));
    c->buf = static_cast<char*>(c->arena.allocate_scoped(kReceiveBuffer));
    if (c->buf == nullptr || !c->live) return close_conn(lc, c);
  }
  ssize_t n = receive(c);
  if (n == kClosed) return close_conn(lc, c);
  if (n == kWantWrite) {
    if (!lc.loop->mod(c->fd, EPOLLOUT | EPOLLRDHUP | EPOLLONESHOT, c).ok()) close_conn(lc, c);
    return;
  }
  if (n == kWantRead) {
    // Woken without request bytes (a TLS handshake's flights, a TLS record with nothing for
    // us, a spurious wake-up): a connection that has received nothing holds nothing while it
    // waits, so a client that completes a handshake and stays silent costs no block.
    if (c->state == ConnState::kIdle && c->len == 0) c->go_idle();
    return rearm(lc, c);
  }
  (void)events;
  if (c->state == ConnState::kIdle) {
    c->state = ConnState::kReadingHead;
    c->live->head_start_ns = MonotonicNs();
    if (c->served > 0) lc.reading.push(c, MonotonicMs() + options.header_timeout_ms);
  }
  c->len += static_cast<size_t>(n);
  if (c->served == 0 && try_http2(lc, c)) return;
  try_parse(lc, c);
}

bool HttpServer::Impl::try_http2(LoopContext& lc, Connection* c) {
  if (options.http2_max_streams <= 0) return false;
  const size_t k = std::min(c->len, kHttp2Preface.size());
  if (std::memcmp(c->buf, kHttp2Preface.data(), k) != 0) return false;
  if (k < kHttp2Preface.size()) {
    rearm(lc, c);  // a prefix of it so far
    return true;
  }
  TimerList::unlink(c);
  c->state = ConnState::kHttp2;
  c->h2 = new H2Session(h2, lc, *c);
  h2.connections.fetch_add(1, std::memory_order_relaxed);
  if (!c->h2->start()) close_conn(lc, c);
  return true;
}

void HttpServer::Impl::try_parse(LoopContext& lc, Connection* c) {
  http::ParseOutcome out =
      c->live->parser.parse(std::string_view(c->buf, c->len), c->arena, &c->live->request);
  switch (out.state) {
    case http::ParseState::kIncomplete:
      if (c->len >= kReceiveBuffer) return reject(lc, c, 431);
      return rearm(lc, c);
    case http::ParseState::kError:
      static obs::LogLimiter malformed_lines(std::chrono::seconds(1));  // client-caused
      malformed_lines.log(obs::Level::kInfo, "rejected malformed request",
                          {{"HTTP_STATUS", std::to_string(out.http_status)},
                           {"REASON", out.reason},
                           {"REMOTE_ADDR", c->live->remote}});
      return reject(lc, c, out.http_status);
    case http::ParseState::kComplete:
      break;
  }
  c->live->head_bytes = out.head_bytes;
  TimerList::unlink(c);
  if (answer_on_loop(lc, c)) return;
  dispatch(lc, c);
}

// Hands the request to the tasks, which start it when its address's share and the in-flight
// budget allow.
void HttpServer::Impl::dispatch(LoopContext& lc, Connection* c) {
  (void)lc;
  c->state = ConnState::kDispatched;
  ++requests;
  tasks->submit(c);
}

// Waited for admission past its deadline: 503 SlowDown, and the connection closes.
void HttpServer::Impl::refuse_admission(Connection* c) {
  static obs::LogLimiter not_admitted_lines(std::chrono::seconds(1));  // client-caused
  not_admitted_lines.log(obs::Level::kNotice, "request not admitted in time",
                         {{"REMOTE_ADDR", c->live->remote}, {"HTTP_STATUS", "503"}});
  reject(*c->loop, c, 503);
}

// The client closed or reset its connection while its request waited server-side: the request's
// waits end now (kCancelled); the task answers nothing and closes the connection. RFC 9112
// gives a request no way to end by closing (§6.3: a request body is framed; §9.6: a client
// closes after reading its response), so a half-close (FIN) counts as leaving, as in nginx
// (499); a client that half-closes after its request and still wants the answer loses it.
void HttpServer::Impl::client_gone(Connection* c) {
  tasks->mutable_counters().cancelled.fetch_add(1, std::memory_order_relaxed);
  static obs::LogLimiter gone_lines(std::chrono::seconds(1));  // client-caused
  gone_lines.log(obs::Level::kInfo, "client closed its connection while its request waited",
                 {{"REMOTE_ADDR", c->live->remote}});
  c->live->cancel.cancel();
}

void HttpServer::Impl::cancel_client_waits(LoopContext& lc) {
  lc.conns.for_each([](Connection* c) {
    if (c->state == ConnState::kDispatched) WakeConnectionTask(*c);
    if (c->state == ConnState::kHttp2) c->h2->cancel_waits();
  });
}

// Health and metrics: answered here, so they work while every worker is taken.
bool HttpServer::Impl::answer_on_loop(LoopContext& lc, Connection* c) {
  if (!loop_responder) return false;
  LoopReply reply;
  if (!loop_responder(c->live->request, c->arena, reply)) return false;
  ++loop_replies;
  PrepareLoopReply(*c, reply.status, reply.content_type, reply.body);
  c->state = ConnState::kReplying;
  // A client that does not read its reply is dropped after the header timeout.
  lc.replying.push(c, MonotonicMs() + options.header_timeout_ms);
  flush_reply(lc, c);
  return true;
}

void HttpServer::Impl::flush_reply(LoopContext& lc, Connection* c) {
  switch (FlushLoopReply(*c)) {
    case FlushResult::kDone:
      c->live->reply = std::string();
      TimerList::unlink(c);
      return linger(lc, c);
    case FlushResult::kWantRead:
      if (!lc.loop->mod(c->fd, kReadEvents, c).ok()) close_conn(lc, c);
      return;
    case FlushResult::kWantWrite:
      if (!lc.loop->mod(c->fd, EPOLLOUT | EPOLLRDHUP | EPOLLONESHOT, c).ok()) close_conn(lc, c);
      return;
    case FlushResult::kFailed:
      return close_conn(lc, c);
  }
}

void HttpServer::Impl::reject(LoopContext& lc, Connection* c, int status) {
  ++early_errors;
  auto [type, body] = error_body ? error_body(status) : std::pair<std::string, std::string>{};
  SendEarlyResponse(c->fd, c->tls_conn, status, type, body);
  linger(lc, c);
}

// Half-close and read what the client still sends while it keeps sending (bounded above), so
// the answer is not destroyed by a reset when we close with unread input. The timer list stays
// ordered within kLingerIdleMs: a capped deadline may close up to that much late.
void HttpServer::Impl::linger(LoopContext& lc, Connection* c) {
  ::shutdown(c->fd, SHUT_WR);
  c->state = ConnState::kLingering;
  int64_t now = MonotonicMs();
  c->live->linger_until_ms = now + kLingerMaxMs;
  lc.lingering.push(c, now + kLingerIdleMs);
  rearm(lc, c);
}

void HttpServer::Impl::close_conn(LoopContext& lc, Connection* c) {
  lc.loop->del(c->fd);
  TimerList::unlink(c);
  delete c->h2;
  delete c->tls_conn;
  ::close(c->fd);
  lc.conns.erase(c);
  --active;
  delete c;
}

void HttpServer::Impl::on_tick(LoopContext& lc, int64_t now) {
  while (lc.reading.head && lc.reading.head->deadline_ms <= now) {
    Connection* c = lc.reading.head;
    TimerList::unlink(c);
    if (c->len == 0) {
      ++idle_closed;
      close_conn(lc, c);
    } else {
      ++head_timeouts;
      static obs::LogLimiter head_late_lines(std::chrono::seconds(1));  // client-caused
      head_late_lines.log(obs::Level::kInfo, "request head not received in time",
                          {{"REMOTE_ADDR", c->live->remote}, {"HTTP_STATUS", "408"}});
      reject(lc, c, 408);
    }
  }
  while (lc.idle.head && lc.idle.head->deadline_ms <= now) {
    ++idle_closed;
    close_conn(lc, lc.idle.head);
  }
  while (lc.lingering.head && lc.lingering.head->deadline_ms <= now) {
    close_conn(lc, lc.lingering.head);
  }
  while (lc.replying.head && lc.replying.head->deadline_ms <= now) {
    close_conn(lc, lc.replying.head);
  }
  if (stopping.load()) {
    // Close every connection that is waiting for a request; running ones finish first.
    lc.conns.for_each([&](Connection* c) {
      if (c->state == ConnState::kIdle) close_conn(lc, c);
    });
  }
  tasks->expire(now);
  if (tick_hook) tick_hook(lc.loop->index());
}

// At the end of the connection's request task, on its loop thread.
void HttpServer::Impl::on_done(Connection* c, AfterRequest next) {
  LoopContext& lc = *c->loop;
  {
    if (next == AfterRequest::kLinger && !stopping.load()) return linger(lc, c);
    if (next != AfterRequest::kKeepAlive || stopping.load()) return close_conn(lc, c);
    ++c->served;
    if (c->len > 0) {
      // Pipelined bytes of the next request are already buffered.
      c->state = ConnState::kReadingHead;
      c->live->head_start_ns = MonotonicNs();
      lc.reading.push(c, MonotonicMs() + options.header_timeout_ms);
      return try_parse(lc, c);
    }
    // Idle keep-alive connections hold no arena block and no LiveState: the block goes back
    // to the loop's pool, and both are taken again when the next request's first bytes arrive.
    c->go_idle();
    lc.idle.push(c, MonotonicMs() + options.idle_timeout_ms);
    rearm(lc, c);
  }
}

}  // namespace flashstor::net
