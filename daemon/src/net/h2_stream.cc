// The task of one HTTP/2 stream: the request body as a DataSource fed by DATA frames, the
// response as a ResponseSink the connection's driver turns into HEADERS and DATA frames, and
// the handler run between them. Every wait parks the task within its TransferBudget.
#include <nghttp2/nghttp2.h>

#include <algorithm>
#include <charconv>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <new>
#include <optional>
#include <type_traits>
#include <utility>

#include "flashstor/http/exchange.h"
#include "flashstor/net/event_loop.h"
#include "flashstor/obs/log.h"
#include "flashstor/tls/tls_connection.h"
#include "h2_session.h"
#include "http_server_impl.h"
#include "request_tasks.h"
#include "request_worker.h"

namespace flashstor::net {

// h2_session.cc: the data provider of every response body.
ssize_t H2ReadBody(nghttp2_session*, int32_t, uint8_t* buf, size_t length, uint32_t* flags,
                   nghttp2_data_source* source, void*);

namespace {

// Parks the stream's task until ready() holds: Ok, or why the stream cannot go on (closed by
// the client or the connection, server stopping, or the budget spent).
template <typename Ready>
Status WaitFor(H2Stream& s, bool sending, Ready ready) {
  TransferBudget& budget = *s.budget;
  while (!ready()) {
    if (s.closed) return Status(Code::kCancelled, "http2 stream closed");
    if (s.session.cancelled()) return Status(Code::kCancelled, "server stopping");
    const int64_t before = MonotonicMs();
    const int ms = budget.wait_ms(before, sending);
    if (ms <= 0) return budget.status();
    s.waiter = task::PrepareWait();
    s.waiting = true;
    task::Park(s.waiter, before + ms);
    s.waiting = false;
    s.waiter = {};
    budget.waited(MonotonicMs() - before);
  }
  return Status::Ok();
}

// After the budget cut off a client sending its body, the answer (400 RequestTimeout) still
// goes out if the connection takes it without waiting on the client, as HTTP/1.1 writes what
// the socket takes at once: the driver gets kAnswerAfterCutMs in all to take it.
constexpr int64_t kAnswerAfterCutMs = 200;

// failed: why the wait for the client failed; returned unless the grace applies.
template <typename Ready>
Status WaitAfterCut(H2Stream& s, Status failed, Ready ready) {
  TransferBudget& budget = *s.budget;
  if (s.closed || budget.cut() == TransferCut::kNone || budget.sending()) return failed;
  if (s.answer_after_cut_end_ms == 0) s.answer_after_cut_end_ms = MonotonicMs() + kAnswerAfterCutMs;
  while (!ready()) {
    if (s.closed) return Status(Code::kCancelled, "http2 stream closed");
    if (s.session.cancelled() || MonotonicMs() >= s.answer_after_cut_end_ms) return failed;
    s.waiter = task::PrepareWait();
    s.waiting = true;
    task::Park(s.waiter, s.answer_after_cut_end_ms);
    s.waiting = false;
    s.waiter = {};
  }
  return Status::Ok();
}

// Stream state is the loop's alone. A call from another thread (the engine's pool writing heal
// progress) runs on the stream's loop in a task of its own while the calling thread waits.
template <typename Fn>
auto OnLoop(H2Stream& s, Fn fn) -> decltype(fn()) {
  using R = decltype(fn());
  if (task::CurrentFiber() != nullptr) return fn();
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  std::optional<R> out;
  auto finish = [&](R r) {
    out.emplace(std::move(r));
    std::lock_guard<std::mutex> lock(mu);
    done = true;
    cv.notify_one();
  };
  const Status refused(Code::kInternal, "http2: no task for a call from another thread");
  s.session.connection().loop->loop->post([&] {
    if (!task::Scheduler::current()->spawn([&] { finish(fn()); })) {
      if constexpr (std::is_same_v<R, Status>) {
        finish(refused);
      } else {
        finish(std::unexpected(refused));
      }
    }
  });
  std::unique_lock<std::mutex> lock(mu);
  cv.wait(lock, [&] { return done; });
  return std::move(*out);
}

void Reset(H2Stream& s, uint32_t code) {
  if (s.closed) return;
  nghttp2_submit_rst_stream(s.session.session(), NGHTTP2_FLAG_NONE, s.id, code);
  s.session.kick();
}

class StreamBody final : public DataSource {
 public:
  StreamBody(H2Stream& s, http::ResponseWriter& response)
      : s_(s), response_(response), continue_pending_(s.request.expect_continue) {}

  Result<size_t> read(std::span<char> out) override {
    return OnLoop(s_, [&] { return read_here(out); });
  }

 private:
  Result<size_t> read_here(std::span<char> out) {
    if (out.empty() || done_) return size_t{0};
    if (continue_pending_) {
      continue_pending_ = false;
      if (!response_.head_sent()) (void)response_.send_continue();
    }
    Status st =
        WaitFor(s_, false, [this] { return !s_.input.empty() || s_.input_ended || s_.too_large; });
    if (!st.ok()) return std::unexpected(st);
    if (s_.too_large) return Err(Code::kTooLarge, "request body too large");
    if (s_.input.empty()) {
      done_ = true;
      return size_t{0};
    }
    const size_t n = s_.input.pop(out);
    // The handler took n bytes: the client may send that many more (WINDOW_UPDATE).
    nghttp2_session_consume(s_.session.session(), s_.id, n);
    s_.session.kick();
    s_.budget->moved(n);
    return n;
  }

  H2Stream& s_;
  http::ResponseWriter& response_;
  bool continue_pending_;
  bool done_ = false;
};

class StreamSink final : public http::ResponseSink {
 public:
  explicit StreamSink(H2Stream& s) : s_(s) {}

  Status send_head(int status, std::span<const http::ResponseField> fields, bool has_length,
                   uint64_t length, std::span<const char> first_body, bool end) override {
    return OnLoop(s_,
                  [&] { return head_here(status, fields, has_length, length, first_body, end); });
  }

  Status write_body(std::span<const char> data, bool last) override {
    return OnLoop(s_, [&] { return body_here(data, last); });
  }

  Status send_continue() override {
    return OnLoop(s_, [&] { return continue_here(); });
  }

 private:
  Status head_here(int status, std::span<const http::ResponseField> fields, bool has_length,
                   uint64_t length, std::span<const char> first_body, bool end) {
    if (s_.closed) return Status(Code::kCancelled, "http2 stream closed");
    const size_t count = 3 + fields.size() + (has_length ? 1 : 0);
    auto* nva = s_.arena.allocate_scoped_array<nghttp2_nv>(count);
    char* code = static_cast<char*>(s_.arena.allocate_scoped(4 + 24, 1));
    if (nva == nullptr || code == nullptr)
      return Status(Code::kInternal, "response head too large");
    size_t n = 0;
    std::to_chars(code, code + 4, status);
    nva[n++] = Nv(":status", std::string_view(code, 3));
    nva[n++] = Nv("date", http::CurrentHttpDate());
    nva[n++] = Nv("server", "Flashstor");
    for (const http::ResponseField& f : fields) {
      // HTTP/2 field names are lowercase (RFC 9113 §8.2.1).
      char* name = static_cast<char*>(s_.arena.allocate_scoped(f.name.size(), 1));
      if (name == nullptr) return Status(Code::kInternal, "response head too large");
      for (size_t i = 0; i < f.name.size(); ++i) {
        const char c = f.name[i];
        name[i] = c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
      }
      nva[n++] = Nv(std::string_view(name, f.name.size()), f.value);
    }
    if (has_length) {
      char* digits = code + 4;
      const char* e = std::to_chars(digits, digits + 24, length).ptr;
      nva[n++] = Nv("content-length", std::string_view(digits, static_cast<size_t>(e - digits)));
    }
    nghttp2_data_provider provider{};
    provider.source.ptr = &s_;
    provider.read_callback = H2ReadBody;
    const bool no_data = end && first_body.empty();
    s_.pending = first_body;
    s_.out_end = end;
    if (nghttp2_submit_response(s_.session.session(), s_.id, nva, n,
                                no_data ? nullptr : &provider) != 0) {
      s_.pending = {};
      return Status(Code::kInternal, "http2: response not accepted");
    }
    s_.session.kick();
    return hand_over();
  }

  Status body_here(std::span<const char> data, bool last) {
    if (s_.closed) return Status(Code::kCancelled, "http2 stream closed");
    s_.pending = data;
    s_.out_end = last;
    if (s_.deferred) {
      s_.deferred = false;
      nghttp2_session_resume_data(s_.session.session(), s_.id);
    }
    s_.session.kick();
    return hand_over();
  }

  Status continue_here() {
    if (s_.closed) return Status(Code::kCancelled, "http2 stream closed");
    nghttp2_nv nv = Nv(":status", "100");
    nghttp2_submit_headers(s_.session.session(), NGHTTP2_FLAG_NONE, s_.id, nullptr, &nv, 1,
                           nullptr);
    s_.session.kick();
    return Status::Ok();
  }

  static nghttp2_nv Nv(std::string_view name, std::string_view value) {
    return nghttp2_nv{reinterpret_cast<uint8_t*>(const_cast<char*>(name.data())),
                      reinterpret_cast<uint8_t*>(const_cast<char*>(value.data())), name.size(),
                      value.size(), NGHTTP2_NV_FLAG_NONE};
  }

  // Waits until the driver took every pending byte (the caller's buffer is free again); a
  // client that does not open its window within the budget has the stream reset.
  Status hand_over() {
    auto taken = [this] { return s_.pending.empty(); };
    Status st = WaitFor(s_, true, taken);
    if (!st.ok()) st = WaitAfterCut(s_, std::move(st), taken);
    s_.pending = {};
    if (!st.ok()) Reset(s_, NGHTTP2_CANCEL);
    return st;
  }

  H2Stream& s_;
};

class StreamExchange final : public http::Exchange {
 public:
  StreamExchange(H2Stream& s, StreamBody& body, http::ResponseWriter& response)
      : s_(s), body_(body), response_(response) {}

  const http::Request& request() const override { return s_.request; }
  mem::Arena& arena() override { return s_.arena; }
  DataSource& body() override { return body_; }
  http::ResponseWriter& response() override { return response_; }
  std::string_view remote_address() const override { return s_.session.connection().live->remote; }
  bool secure() const override { return s_.session.connection().tls; }
  std::string_view tls_protocol() const override {
    const tls::TlsConnection* t = s_.session.connection().tls_conn;
    return t != nullptr ? t->protocol() : std::string_view();
  }
  uint64_t request_start_ns() const override { return s_.start_ns; }
  const task::CancelToken* cancel_token() const override { return &s_.cancel; }

 private:
  H2Stream& s_;
  StreamBody& body_;
  http::ResponseWriter& response_;
};

void Serve(H2Stream& s) {
  H2Env& env = s.session.env();
  TransferBudget budget(RequestTransferLimits(*env.options),
                        static_cast<int64_t>(s.start_ns / 1'000'000),
                        &env.tasks->mutable_counters().progress);
  s.budget = &budget;
  StreamSink sink(s);
  http::ResponseWriter response(sink, s.arena);
  if (s.request.method == http::Method::kHead) response.set_head_only(true);
  StreamBody body(s, response);
  StreamExchange exchange(s, body, response);
  if (!ServeWithinMemory(*env.handler, exchange)) {
    obs::Log(obs::Level::kWarning, "request failed: out of memory");
    if (!response.head_sent()) {
      response.set_status(503);
      response.add_header("Content-Type", "application/xml");
      response.add_header("Retry-After", "1");
      (void)response.send(
          "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>SlowDown</Code><Message>"
          "Please reduce your request rate.</Message></Error>");
    }
  }
  ReportCut(s.session.connection(), budget, env.tasks->mutable_counters());
  if (s.cancel.cancelled()) return;  // reset or connection lost: nobody reads an answer
  if (!response.head_sent()) {
    response.set_status(500);
    (void)response.send("");
  }
  // A response cut short: the client must not take it for a complete one.
  if (!response.complete()) Reset(s, NGHTTP2_INTERNAL_ERROR);
}

}  // namespace

void RunH2Stream(H2Stream& s) {
  Serve(s);
  s.session.task_finished(&s);  // may free s
}

}  // namespace flashstor::net
