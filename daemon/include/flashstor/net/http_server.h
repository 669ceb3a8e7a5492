// HttpServer: accepts connections on listening sockets, receives request heads on epoll event
// loops (with header deadlines and idle timeouts), and hands each complete head to a request
// worker that runs the http::Handler with blocking I/O bounded by a per-request budget
// (deadline, minimum rate). Connections return to their loop for keep-alive or lingering close.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "flashstor/common/status.h"
#include "flashstor/http/exchange.h"
#include "flashstor/net/server_options.h"

namespace flashstor::tls {
class TlsContext;
}

namespace flashstor::net {

struct ServerStats {
  uint64_t accepted = 0;
  uint64_t active = 0;               // open connections
  uint64_t rejected = 0;             // over max_connections
  uint64_t head_timeouts = 0;        // slowloris / header deadline
  uint64_t idle_closed = 0;          // keep-alive idle timeout
  uint64_t early_errors = 0;         // 400/414/431/... answered by the loop
  uint64_t requests = 0;             // dispatched to workers
  uint64_t arena_bytes = 0;          // bytes of arena blocks, in use or cached by the loops
  uint64_t arena_blocks_in_use = 0;  // blocks held by connections (idle ones hold none)
  uint64_t busy_workers = 0;         // requests running or queued
  uint64_t queued = 0;               // requests waiting for a free worker
  uint64_t completed = 0;            // requests a task finished
  uint64_t admission_timeouts = 0;   // requests answered 503: not admitted in time
  uint64_t tasks_running = 0;        // request tasks started and not finished
  uint64_t task_stack_bytes = 0;     // stack reserved per task (touched pages are resident)
  uint64_t cut_too_slow = 0;         // clients below the minimum transfer rate
  uint64_t cut_deadline = 0;         // requests past their total deadline
  uint64_t cut_idle = 0;             // clients silent for the inactivity timeout
  uint64_t requests_cancelled = 0;   // client closed / stream reset while its request ran
  uint64_t client_share_waits = 0;   // requests that waited for their address's worker share
  uint64_t loop_replies = 0;         // requests answered by the loop itself (health, metrics)
  uint64_t http2_connections = 0;    // connections that spoke HTTP/2
  uint64_t http2_streams = 0;        // HTTP/2 requests (streams opened by clients)
  uint64_t http2_refused = 0;        // streams refused over the concurrent-stream limit
  uint64_t http2_goaways = 0;        // HTTP/2 connections ended by an error GOAWAY
};

// Whether requests are being served, for the watchdog: progress moves whenever a request
// finishes or a worker moves bytes for one; pending counts requests waiting for a worker.
struct RequestProgress {
  uint64_t pending = 0;
  uint64_t progress = 0;
};

// A response the event loop gives itself, with no worker (cheap, in-memory answers only).
struct LoopReply {
  int status = 200;
  std::string content_type;
  std::string body;
};

class HttpServer {
 public:
  // Body of an error answered before any handler runs (status is 400, 408, 413, 414, 431,
  // 501, 505 or 503); returns {content_type, body}.
  using ErrorBodyFn = std::function<std::pair<std::string, std::string>(int status)>;

  HttpServer(const ServerOptions& options, http::Handler& handler);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  void set_error_body(ErrorBodyFn fn);
  // Called on each event loop at least once a second (watchdog liveness).
  void set_tick_hook(std::function<void(int loop_index)> fn);
  // What the loops keep for requests to come holds what their peak concurrency touched until
  // the next burst (after 1,024 clients: 20 MiB of fiber stacks, 12 MiB of arena blocks);
  // the server frees it once it has been idle. Any thread: every loop's cached arena blocks
  // (freed to the heap, before the heap's trim).
  void release_cached_blocks();
  // On loop loop_index's thread (its tick hook): its cached fiber stacks (unmapped).
  void release_cached_stacks(int loop_index);
  // Requests the event loop answers itself, before the per-client cap and without a worker, so
  // they answer while every worker is busy: fn returns true and fills the reply when it takes
  // the request. It runs on a loop thread: it must be quick, thread-safe and never block.
  // The reply closes the connection. Set before start().
  using LoopResponder =
      std::function<bool(const http::Request& request, mem::Arena& arena, LoopReply& reply)>;
  void set_loop_responder(LoopResponder fn);
  // TLS context for listeners added with tls=true; must outlive the server.
  void set_tls(tls::TlsContext* context);

  // Binds and listens on "host:port" (port 0 picks a free one; *bound_port receives it).
  Status listen(std::string_view address, bool tls, int* bound_port);
  // Takes over a socket that is already listening (socket activation).
  Status adopt_listener(int fd, bool tls);

  Status start();
  // Stops accepting, lets running requests finish (up to grace_ms), closes everything.
  void stop(int grace_ms = 5000);

  int event_loops() const;
  int workers() const;
  ServerStats stats() const;
  RequestProgress progress() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Parses "host:port" / "[v6]:port" / ":port" into a bound, listening, non-blocking socket.
Result<int> BindListener(std::string_view address, int backlog);
int LocalPort(int fd);

}  // namespace flashstor::net
