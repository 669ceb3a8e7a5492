// ServeRequest: the task half of a connection's life. Builds the Exchange (body decoder,
// response writer) over the connection's arena, runs the handler, then decides whether the
// connection may be kept alive and prepares it for the next request.
#include "request_worker.h"

#include <chrono>
#include <cstring>
#include <new>
#include <optional>

#include "flashstor/http/body.h"
#include "flashstor/net/event_loop.h"
#include "flashstor/net/plain_transport.h"
#include "flashstor/obs/log.h"
#include "flashstor/obs/log_limiter.h"
#include "flashstor/tls/tls_connection.h"
#include "loop_peer_waiter.h"

namespace flashstor::net {
namespace {

// Most bytes of an unread request body we read and discard to keep a connection alive (only
// bytes that already arrived: the drain never waits).
constexpr uint64_t kMaxDrainBytes = 256 * 1024;

// The entity body of the request, whatever its framing; sends 100-continue on first read and
// remembers whether it reached its end.
class RequestBody final : public DataSource {
 public:
  RequestBody(const http::Request& req, http::ConnectionInput& input,
              http::ResponseWriter& response, uint64_t max_body_bytes)
      : response_(response),
        content_length_(input, req.content_length.value_or(0)),
        chunked_(input, max_body_bytes),
        chunked_mode_(req.chunked),
        continue_pending_(req.expect_continue),
        at_end_(!req.chunked && req.content_length.value_or(0) == 0) {}

  Result<size_t> read(std::span<char> out) override {
    if (at_end_) return size_t{0};
    if (continue_pending_) {
      continue_pending_ = false;
      if (!response_.head_sent()) {
        if (Status s = response_.send_continue(); !s.ok()) return std::unexpected(s);
      }
    }
    Result<size_t> n = chunked_mode_ ? chunked_.read(out) : content_length_.read(out);
    if (!n) {
      failed_ = true;
      return n;
    }
    if (*n == 0) at_end_ = true;
    bytes_ += *n;
    return n;
  }

  bool at_end() const { return at_end_; }
  // The client still waits for 100-continue: it has not sent the body.
  bool body_withheld() const { return continue_pending_; }
  bool failed() const { return failed_; }
  uint64_t bytes() const { return bytes_; }

  // Reads and discards the rest of the body, up to a bound; true when it reached the end.
  // The caller sets the budget to no-wait first, so this only takes what already arrived.
  bool drain() {
    char scratch[8192];
    uint64_t drained = 0;
    while (!at_end_ && !failed_ && drained < kMaxDrainBytes) {
      Result<size_t> n = read(scratch);
      if (!n) return false;
      drained += *n;
    }
    return at_end_;
  }

 private:
  http::ResponseWriter& response_;
  http::ContentLengthBody content_length_;
  http::ChunkedBody chunked_;
  bool chunked_mode_;
  bool continue_pending_;
  bool at_end_;
  bool failed_ = false;
  uint64_t bytes_ = 0;
};

class ExchangeImpl final : public http::Exchange {
 public:
  ExchangeImpl(Connection& c, RequestBody& body, http::ResponseWriter& response)
      : c_(c), body_(body), response_(response) {}

  const http::Request& request() const override { return c_.live->request; }
  mem::Arena& arena() override { return c_.arena; }
  DataSource& body() override { return body_; }
  http::ResponseWriter& response() override { return response_; }
  std::string_view remote_address() const override { return c_.live->remote; }
  bool secure() const override { return c_.tls; }
  std::string_view tls_protocol() const override {
    return c_.tls_conn != nullptr ? c_.tls_conn->protocol() : std::string_view();
  }
  uint64_t request_start_ns() const override { return c_.live->head_start_ns; }
  const task::CancelToken* cancel_token() const override { return &c_.live->cancel; }

 private:
  Connection& c_;
  RequestBody& body_;
  http::ResponseWriter& response_;
};

// 503 SlowDown (SDKs retry) on a fresh writer, so no header of the failed response leaks into
// it; the connection closes, since the request body may be half read.
void AnswerOutOfMemory(http::Transport& transport, mem::Arena& arena, bool head_only) {
  obs::Log(obs::Level::kWarning, "request failed: out of memory");
  try {
    http::ResponseWriter response(transport, arena);
    response.set_status(503);
    response.set_keep_alive(false);
    response.set_head_only(head_only);
    response.add_header("Content-Type", "application/xml");
    response.add_header("Retry-After", "1");
    (void)response.send(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>SlowDown</Code><Message>"
        "Please reduce your request rate.</Message></Error>");
  } catch (const std::bad_alloc&) {
    // Not even the answer fits: the connection just closes.
  }
}

}  // namespace

// The request boundary for running out of memory. STYLE.md keeps exceptions off the request
// path, but std containers throw std::bad_alloc (and the engine's I/O pool carries one from
// its threads to the caller): it ends here, failing one request instead of the daemon.
bool ServeWithinMemory(http::Handler& handler, http::Exchange& exchange) {
  try {
    handler.serve(exchange);
    return true;
  } catch (const std::bad_alloc&) {
    return false;
  }
}

// Builds the connection's transport inside its arena (transport_factory.cc).
http::Transport* MakeTransport(Connection& c, TransferBudget& budget);

TransferLimits RequestTransferLimits(const ServerOptions& options) {
  TransferLimits l;
  l.io_timeout_ms = options.io_timeout_ms;
  l.deadline_base_ms = options.request_timeout_ms;
  l.deadline_bytes_per_s = options.request_timeout_bytes_per_s;
  l.min_rate_bytes = options.min_rate_bytes;
  l.window_ms = options.min_rate_window_ms;
  return l;
}

void ReportCut(const Connection& c, const TransferBudget& budget, RequestCounters& counters) {
  const char* reason = nullptr;
  switch (budget.cut()) {
    case TransferCut::kTooSlow:
      reason = "below the minimum transfer rate";
      counters.cut_too_slow.fetch_add(1, std::memory_order_relaxed);
      break;
    case TransferCut::kDeadline:
      reason = "request deadline passed";
      counters.cut_deadline.fetch_add(1, std::memory_order_relaxed);
      break;
    case TransferCut::kIdle:
      reason = "no data for the inactivity timeout";
      counters.cut_idle.fetch_add(1, std::memory_order_relaxed);
      break;
    default:
      return;
  }
  // Client-caused: a line a second for each direction.
  static obs::LogLimiter sending_lines(std::chrono::seconds(1));
  static obs::LogLimiter receiving_lines(std::chrono::seconds(1));
  const bool sending = budget.sending();
  (sending ? sending_lines : receiving_lines)
      .log(obs::Level::kNotice, "slow client cut off",
           {{"REMOTE_ADDR", c.live->remote},
            {"REASON", reason},
            {"DIRECTION", sending ? "sending response" : "receiving request body"},
            {"RATE_BPS", std::to_string(budget.last_rate_bps())},
            {"BYTES", std::to_string(budget.total_bytes())}});
}

namespace {

// After a complete response: reads what the client already sent of the body, without waiting.
// Whatever is still on its way is discarded by the event loop (lingering close), so a client
// that trickles a body it announced costs no task.
AfterRequest FinishBody(RequestBody& body, TransferBudget& budget) {
  if (body.at_end()) return AfterRequest::kKeepAlive;
  if (body.body_withheld() || body.failed()) return AfterRequest::kLinger;
  budget.set_no_wait();
  return body.drain() ? AfterRequest::kKeepAlive : AfterRequest::kLinger;
}

}  // namespace

// The request's cancel token, shared with its RequestContext: the live state's own when a
// pipelined request follows one whose stragglers kept no copy (no allocation), else a fresh
// one (the first request after an idle period). While the request runs, a server-side wait
// that parks arms the socket for a close (WatchForClose).
struct CancelScope {
  explicit CancelScope(Connection& c) : c_(c) {
    if (c.live->cancel.unique()) {
      c.live->cancel.reset();
    } else {
      c.live->cancel = task::CancelToken::Make();
    }
    if (task::CurrentFiber() != nullptr) c.live->cancel.set_park_hook(&WatchForClose, &c);
  }
  ~CancelScope() {
    c_.live->cancel.set_park_hook(nullptr, nullptr);
    c_.live->watching_close = false;  // the loop arms the socket anew for what comes next
  }
  Connection& c_;
};

AfterRequest ServeRequest(Connection& c, http::Handler& handler, const ServerOptions& options,
                          bool stopping, RequestCounters& counters,
                          const std::atomic<bool>* cancel_waits) {
  CancelScope cancel_scope(c);
  TransferBudget budget(RequestTransferLimits(options),
                        static_cast<int64_t>(c.live->head_start_ns / 1'000'000),
                        &counters.progress);
  LoopPeerWaiter waiter(c, cancel_waits);
  if (task::CurrentFiber() != nullptr) budget.set_peer_waiter(&waiter);
  http::Transport* transport = MakeTransport(c, budget);
  if (transport == nullptr) return AfterRequest::kClose;
  // Destroyed before the arena is reset (or the connection closed), whatever path returns.
  struct TransportGuard {
    http::Transport* t;
    ~TransportGuard() { t->~Transport(); }
  } guard{transport};
  char* body_start = c.buf + c.live->head_bytes;
  http::ConnectionInput input(std::span<char>(body_start, kReceiveBuffer - c.live->head_bytes),
                              std::string_view(body_start, c.len - c.live->head_bytes), *transport);
  http::ResponseWriter response(*transport, c.arena);
  RequestBody body(c.live->request, input, response, options.limits.max_body_bytes);
  bool keep =
      c.live->request.keep_alive && !stopping && c.served + 1 < options.max_requests_per_connection;
  response.set_keep_alive(keep);
  if (c.live->request.expect_continue) response.expect_continue(!body.at_end());
  if (c.live->request.method == http::Method::kHead) response.set_head_only(true);

  ExchangeImpl exchange(c, body, response);
  if (!ServeWithinMemory(handler, exchange)) {
    if (!response.head_sent()) {
      AnswerOutOfMemory(*transport, c.arena, c.live->request.method == http::Method::kHead);
    }
    return AfterRequest::kClose;
  }
  ReportCut(c, budget, counters);
  // The client left while the request waited: nobody reads an answer.
  if (c.live->cancel.cancelled()) return AfterRequest::kClose;

  if (!response.head_sent()) {
    response.set_status(500);
    response.set_keep_alive(false);
    (void)response.send("");
    return AfterRequest::kLinger;
  }
  // A response cut short (handler error mid-stream) leaves the client unable to find the next
  // response: the connection must close.
  if (!response.complete()) return AfterRequest::kClose;
  AfterRequest next = FinishBody(body, budget);
  if (!response.keep_alive()) {
    return next == AfterRequest::kKeepAlive ? AfterRequest::kClose : next;
  }
  if (next != AfterRequest::kKeepAlive) return next;
  std::string_view leftover = input.leftover();
  c.arena.reset();
  c.buf = static_cast<char*>(c.arena.allocate_scoped(kReceiveBuffer));
  if (c.buf == nullptr) return AfterRequest::kClose;
  std::memmove(c.buf, leftover.data(), leftover.size());
  c.len = leftover.size();
  c.live->head_bytes = 0;
  c.live->parser.reset();
  c.live->request = http::Request{};
  return AfterRequest::kKeepAlive;
}

}  // namespace flashstor::net
