// HttpServer::Impl and the per-loop state it keeps: shared by the connection life cycle
// (connection_loop.cc) and the server's public face (http_server.cc). Private to net/.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

#include "connection.h"
#include "flashstor/net/event_loop.h"
#include "flashstor/net/http_server.h"
#include "h2_session.h"
#include "request_tasks.h"
#include "request_worker.h"

namespace flashstor::net {

// Blocks an event loop keeps cached for its connections' arenas (64 KiB each): enough for a
// burst of concurrent requests without going back to malloc, bounded at 16 MiB per loop and
// freed at the idle trim (HttpServer::release_cached_blocks).
inline constexpr size_t kCachedBlocksPerLoop = 256;

struct LoopContext {
  mem::BlockPool blocks{kCachedBlocksPerLoop};
  std::unique_ptr<EventLoop> loop;
  std::thread thread;
  TimerList idle, reading, lingering, replying;
  ConnectionList conns;
};

struct HttpServer::Impl {
  Impl(const ServerOptions& o, http::Handler& h) : options(o), handler(h) {}

  ServerOptions options;
  http::Handler& handler;
  HttpServer::ErrorBodyFn error_body;
  HttpServer::LoopResponder loop_responder;
  std::function<void(int)> tick_hook;
  tls::TlsContext* tls = nullptr;
  std::vector<std::unique_ptr<ListenerTag>> listeners;
  std::vector<std::unique_ptr<LoopContext>> loops;
  std::unique_ptr<RequestTasks> tasks;
  H2Env h2;
  std::atomic<bool> stopping{false};
  std::atomic<bool> cancel_waits{false};  // tasks stop waiting for their clients

  std::atomic<uint64_t> accepted{0}, active{0}, rejected{0}, head_timeouts{0}, idle_closed{0},
      early_errors{0}, requests{0}, loop_replies{0};

  void on_ready(LoopContext& lc, void* data, uint32_t events);
  void on_tick(LoopContext& lc, int64_t now);
  void accept_all(LoopContext& lc, ListenerTag& l);
  void on_readable(LoopContext& lc, Connection* c, uint32_t events);
  void try_parse(LoopContext& lc, Connection* c);
  void reject(LoopContext& lc, Connection* c, int status);
  void linger(LoopContext& lc, Connection* c);
  bool answer_on_loop(LoopContext& lc, Connection* c);
  void flush_reply(LoopContext& lc, Connection* c);
  void dispatch(LoopContext& lc, Connection* c);
  // The first bytes of a new connection are (the start of) the HTTP/2 preface: true when c
  // was taken care of (waiting for the rest of it, or handed to an H2Session).
  bool try_http2(LoopContext& lc, Connection* c);
  void close_conn(LoopContext& lc, Connection* c);
  void rearm(LoopContext& lc, Connection* c);
  static constexpr ssize_t kClosed = -1, kWantRead = -2, kWantWrite = -3;
  ssize_t receive(Connection* c);
  void on_done(Connection* c, AfterRequest next);
  void refuse_admission(Connection* c);
  // Stopping: wakes every task waiting for its client, which then gives up (kCancelled).
  void cancel_client_waits(LoopContext& lc);
  void client_gone(Connection* c);
};

}  // namespace flashstor::net
