// Request workers: the blocking half of a connection's life. Builds the Exchange (body
// decoder, response writer) over the connection's arena, runs the handler, then decides
// whether the connection may be kept alive and prepares it for the next request.
#include "request_worker.h"

#include <cstring>
#include <optional>

#include "flashstor/http/body.h"
#include "flashstor/net/event_loop.h"
#include "flashstor/net/plain_transport.h"
#include "flashstor/obs/log.h"

namespace flashstor::net {
namespace {

// Most bytes of an unread request body we read and discard to keep a connection alive.
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

  const http::Request& request() const override { return c_.request; }
  mem::Arena& arena() override { return c_.arena; }
  DataSource& body() override { return body_; }
  http::ResponseWriter& response() override { return response_; }
  std::string_view remote_address() const override { return c_.remote; }
  bool secure() const override { return c_.tls; }
  uint64_t request_start_ns() const override { return c_.head_start_ns; }

 private:
  Connection& c_;
  RequestBody& body_;
  http::ResponseWriter& response_;
};

}  // namespace

// Builds the connection's transport inside its arena (transport_factory.cc).
http::Transport* MakeTransport(Connection& c, int timeout_ms);

bool ServeRequest(Connection& c, http::Handler& handler, const ServerOptions& options,
                  bool stopping) {
  http::Transport* transport = MakeTransport(c, options.io_timeout_ms);
  if (transport == nullptr) return false;
  // Destroyed before the arena is reset (or the connection closed), whatever path returns.
  struct TransportGuard {
    http::Transport* t;
    ~TransportGuard() { t->~Transport(); }
  } guard{transport};
  char* body_start = c.buf + c.head_bytes;
  http::ConnectionInput input(std::span<char>(body_start, kReceiveBuffer - c.head_bytes),
                              std::string_view(body_start, c.len - c.head_bytes), *transport);
  http::ResponseWriter response(*transport, c.arena);
  RequestBody body(c.request, input, response, options.limits.max_body_bytes);
  bool keep =
      c.request.keep_alive && !stopping && c.served + 1 < options.max_requests_per_connection;
  response.set_keep_alive(keep);
  if (c.request.expect_continue) response.expect_continue(!body.at_end());
  if (c.request.method == http::Method::kHead) response.set_head_only(true);

  ExchangeImpl exchange(c, body, response);
  handler.serve(exchange);

  if (!response.head_sent()) {
    response.set_status(500);
    response.set_keep_alive(false);
    (void)response.send("");
    return false;
  }
  // A response cut short (handler error mid-stream) leaves the client unable to find the next
  // response: the connection must close.
  if (!response.keep_alive() || !response.complete()) return false;
  if (!body.at_end()) {
    if (body.body_withheld() || body.failed() || !body.drain()) return false;
  }
  std::string_view leftover = input.leftover();
  c.arena.reset();
  c.buf = static_cast<char*>(c.arena.allocate_scoped(kReceiveBuffer));
  if (c.buf == nullptr) return false;
  std::memmove(c.buf, leftover.data(), leftover.size());
  c.len = leftover.size();
  c.head_bytes = 0;
  c.parser.reset();
  c.request = http::Request{};
  return true;
}

RequestPool::RequestPool(int threads, http::Handler& handler, const ServerOptions& options,
                         DoneFn done)
    : handler_(handler), options_(options), done_(std::move(done)) {
  threads_.reserve(static_cast<size_t>(threads));
  for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { run(); });
}

RequestPool::~RequestPool() {
  shutdown();
}

void RequestPool::submit(Connection* c) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    queue_.push_back(c);
  }
  cv_.notify_one();
}

size_t RequestPool::busy() const {
  std::lock_guard<std::mutex> lock(mu_);
  return busy_ + queue_.size();
}

void RequestPool::shutdown() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    quit_ = true;
  }
  cv_.notify_all();
  for (std::thread& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

void RequestPool::run() {
  for (;;) {
    Connection* c = nullptr;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return quit_ || !queue_.empty(); });
      if (queue_.empty()) return;
      c = queue_.front();
      queue_.pop_front();
      ++busy_;
    }
    bool keep = ServeRequest(*c, handler_, options_, stopping_.load());
    {
      std::lock_guard<std::mutex> lock(mu_);
      --busy_;
    }
    done_(c, keep);
  }
}

}  // namespace flashstor::net
