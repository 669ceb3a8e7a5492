// H2Session: the nghttp2 session of one connection, its driver task (socket in, frames out,
// idle and stop handling), and the life of its streams up to the point a task takes one.
#include "h2_session.h"

#include <nghttp2/nghttp2.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstring>
#include <new>
#include <optional>

#include "flashstor/obs/log.h"
#include "flashstor/obs/log_limiter.h"
#include "flashstor/tls/tls_connection.h"
#include "http_server_impl.h"
#include "request_tasks.h"

namespace flashstor::net {

void RunH2Stream(H2Stream& s);  // h2_stream.cc: the body of a stream's task

// The response body of a stream: bytes its task handed over, or a reply the driver made.
ssize_t H2ReadBody(nghttp2_session*, int32_t, uint8_t* buf, size_t length, uint32_t* flags,
                   nghttp2_data_source* source, void*) {
  auto* s = static_cast<H2Stream*>(source->ptr);
  if (s->static_reply) {
    const size_t n = std::min(length, s->static_body.size() - s->static_sent);
    std::memcpy(buf, s->static_body.data() + s->static_sent, n);
    s->static_sent += n;
    if (s->static_sent == s->static_body.size()) *flags |= NGHTTP2_DATA_FLAG_EOF;
    return static_cast<ssize_t>(n);
  }
  if (s->pending.empty()) {
    if (s->out_end) {
      *flags |= NGHTTP2_DATA_FLAG_EOF;
      return 0;
    }
    s->deferred = true;
    return NGHTTP2_ERR_DEFERRED;
  }
  const size_t n = std::min(length, s->pending.size());
  std::memcpy(buf, s->pending.data(), n);
  s->pending = s->pending.subspan(n);
  if (s->budget != nullptr) s->budget->moved(n);
  if (s->pending.empty()) {
    if (s->out_end) *flags |= NGHTTP2_DATA_FLAG_EOF;
    s->wake();
  }
  return static_cast<ssize_t>(n);
}

namespace {

constexpr size_t kOutHighWater = 64 * 1024;  // stop asking nghttp2 for frames beyond this
constexpr int kReadRounds = 16;              // socket reads per wake-up before others run
constexpr int kGoawayLingerMs = 5000;        // a GOAWAY'd peer that does not read: close anyway
constexpr double kGlitchBurst = 1000;
constexpr double kGlitchRate = 100;  // per second
constexpr int kPeriodMs = 1000;      // the driver looks at the stop flag this often

H2Session* Self(void* user_data) {
  return static_cast<H2Session*>(user_data);
}

std::string_view View(const uint8_t* p, size_t n) {
  return std::string_view(reinterpret_cast<const char*>(p), n);
}

// Out of memory in a callback must not unwind through nghttp2 (C): the stream is reset.
template <typename Fn>
int Guarded(Fn fn) {
  try {
    return fn();
  } catch (const std::bad_alloc&) {
    return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
  }
}

int OnBeginHeaders(nghttp2_session*, const nghttp2_frame* frame, void* ud) {
  if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST) return 0;
  return Guarded([&] { return Self(ud)->on_begin_headers(frame->hd.stream_id); });
}

int OnHeader(nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name, size_t namelen,
             const uint8_t* value, size_t valuelen, uint8_t, void* ud) {
  // Trailer fields (a HEADERS frame after the body) are not used by S3: dropped.
  if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST) return 0;
  return Self(ud)->on_header(frame->hd.stream_id, View(name, namelen), View(value, valuelen));
}

int OnFrameRecv(nghttp2_session*, const nghttp2_frame* frame, void* ud) {
  uint8_t flags = frame->hd.flags;
  // A request head is marked by a flag bit nghttp2 never sets on the wire (0x80 is unused by
  // HEADERS), so the session tells it from trailers without another callback argument.
  if (frame->hd.type == NGHTTP2_HEADERS && frame->headers.cat == NGHTTP2_HCAT_REQUEST) {
    flags |= 0x80;
  }
  return Guarded([&] {
    return Self(ud)->on_frame_recv(frame->hd.type, flags, frame->hd.stream_id, frame->hd.length);
  });
}

int OnDataChunk(nghttp2_session*, uint8_t, int32_t stream_id, const uint8_t* data, size_t len,
                void* ud) {
  return Self(ud)->on_data_chunk(stream_id, data, len);
}

int OnStreamClose(nghttp2_session*, int32_t stream_id, uint32_t error_code, void* ud) {
  return Self(ud)->on_stream_close(stream_id, error_code);
}

int OnFrameSend(nghttp2_session*, const nghttp2_frame* frame, void* ud) {
  H2Session* s = Self(ud);
  if (frame->hd.type == NGHTTP2_GOAWAY && frame->goaway.error_code != NGHTTP2_NO_ERROR) {
    s->env().goaways.fetch_add(1, std::memory_order_relaxed);
    static obs::LogLimiter goaway_lines(std::chrono::seconds(1));  // client-caused
    goaway_lines.log(obs::Level::kInfo, "http2 connection ended with GOAWAY",
                     {{"REMOTE_ADDR", s->connection().live->remote},
                      {"H2_ERROR", nghttp2_http2_strerror(frame->goaway.error_code)}});
  }
  if (frame->hd.type == NGHTTP2_RST_STREAM &&
      frame->rst_stream.error_code == NGHTTP2_REFUSED_STREAM) {
    s->env().refused.fetch_add(1, std::memory_order_relaxed);
    s->glitch();  // a client that keeps opening streams past the limit
  }
  return s->on_frame_send(frame->hd.type, frame->hd.flags, frame->hd.stream_id);
}

int OnInvalidFrame(nghttp2_session*, const nghttp2_frame*, int, void* ud) {
  Self(ud)->glitch();
  return 0;
}

http::Method MethodFromName(std::string_view m) {
  if (m == "GET") return http::Method::kGet;
  if (m == "PUT") return http::Method::kPut;
  if (m == "HEAD") return http::Method::kHead;
  if (m == "POST") return http::Method::kPost;
  if (m == "DELETE") return http::Method::kDelete;
  if (m == "OPTIONS") return http::Method::kOptions;
  return http::Method::kOther;
}

bool IsTargetChar(char ch) {
  const auto c = static_cast<unsigned char>(ch);
  return c > 0x20 && c != 0x7f && c != '#';
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

nghttp2_nv Nv(std::string_view name, std::string_view value) {
  return nghttp2_nv{reinterpret_cast<uint8_t*>(const_cast<char*>(name.data())),
                    reinterpret_cast<uint8_t*>(const_cast<char*>(value.data())), name.size(),
                    value.size(), NGHTTP2_NV_FLAG_NONE};
}

}  // namespace

H2Session::H2Session(H2Env& env, LoopContext& lc, Connection& c)
    : env_(env), lc_(lc), c_(c), glitch_tokens_(kGlitchBurst) {
  nghttp2_session_callbacks* cb = nullptr;
  nghttp2_session_callbacks_new(&cb);
  nghttp2_session_callbacks_set_on_begin_headers_callback(cb, OnBeginHeaders);
  nghttp2_session_callbacks_set_on_header_callback(cb, OnHeader);
  nghttp2_session_callbacks_set_on_frame_recv_callback(cb, OnFrameRecv);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, OnDataChunk);
  nghttp2_session_callbacks_set_on_stream_close_callback(cb, OnStreamClose);
  nghttp2_session_callbacks_set_on_frame_send_callback(cb, OnFrameSend);
  nghttp2_session_callbacks_set_on_invalid_frame_recv_callback(cb, OnInvalidFrame);
  nghttp2_option* opt = nullptr;
  nghttp2_option_new(&opt);
  // Window updates only as the handler reads: a slow handler stops the client.
  nghttp2_option_set_no_auto_window_update(opt, 1);
  nghttp2_option_set_no_closed_streams(opt, 1);
  nghttp2_option_set_max_settings(opt, 32);                  // entries in one SETTINGS frame
  nghttp2_option_set_max_outbound_ack(opt, 1000);            // PING/SETTINGS acks queued unsent
  nghttp2_option_set_stream_reset_rate_limit(opt, 200, 30);  // rapid reset (CVE-2023-44487)
  nghttp2_option_set_max_continuations(opt, 8);              // CONTINUATION flood (CVE-2024-28182)
  nghttp2_session_server_new2(&session_, cb, this, opt);
  nghttp2_option_del(opt);
  nghttp2_session_callbacks_del(cb);
}

H2Session::~H2Session() {
  if (session_ != nullptr) nghttp2_session_del(session_);
  for (H2Stream* s : streams_) delete s;
}

bool H2Session::start() {
  if (session_ == nullptr) return false;
  const ServerOptions& o = *env_.options;
  const nghttp2_settings_entry iv[] = {
      {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, static_cast<uint32_t>(o.http2_max_streams)},
      {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, static_cast<uint32_t>(kH2StreamWindow)},
      {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, static_cast<uint32_t>(o.limits.max_head_bytes)},
  };
  if (nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, iv, std::size(iv)) != 0) return false;
  nghttp2_session_set_local_window_size(session_, NGHTTP2_FLAG_NONE, 0, kH2ConnectionWindow);
  H2Env& env = env_;
  LoopContext& lc = lc_;
  Connection* c = &c_;
  return lc_.loop->scheduler().spawn([this, &env, &lc, c] {
    drive();
    env.close(lc, c);  // deletes c and this session: nothing after it
  });
}

void H2Session::kick() {
  kicked_ = true;
  if (!parked_) return;
  parked_ = false;
  task::Waker w = waker_;
  waker_ = {};
  w.wake();
}

void H2Session::on_io_ready() {
  io_ready_ = true;
  kick();
}

bool H2Session::cancelled() const {
  return env_.cancel_waits->load(std::memory_order_relaxed);
}

void H2Session::cancel_waits() {
  for (H2Stream* s : streams_) s->wake();
  kick();
}

void H2Session::glitch() {
  const int64_t now = MonotonicMs();
  glitch_tokens_ = std::min(kGlitchBurst, glitch_tokens_ + (now - glitch_ms_) * kGlitchRate / 1000);
  glitch_ms_ = now;
  glitch_tokens_ -= 1;
  if (glitch_tokens_ < 0 && close_by_ms_ == 0) {
    static obs::LogLimiter flood_lines(std::chrono::seconds(1));  // client-caused
    flood_lines.log(obs::Level::kNotice, "http2 control frame flood",
                    {{"REMOTE_ADDR", c_.live->remote}});
    terminate(NGHTTP2_ENHANCE_YOUR_CALM);
  }
}

void H2Session::terminate(uint32_t error_code) {
  nghttp2_session_terminate_session(session_, error_code);
  if (close_by_ms_ == 0) close_by_ms_ = MonotonicMs() + kGoawayLingerMs;
}

// The driver: one task per connection, the only code that reads or writes its socket.
void H2Session::drive() {
  last_active_ms_ = MonotonicMs();
  if (c_.len > 0 && !feed(c_.buf, c_.len)) dead_ = true;
  c_.len = 0;
  for (;;) {
    kicked_ = false;
    if (!dead_ && io_ready_) {
      io_ready_ = false;
      if (!read_input()) dead_ = true;
    }
    if (!dead_ && !write_output()) dead_ = true;
    const int64_t now = MonotonicMs();
    if (!dead_) {
      if (env_.stopping->load(std::memory_order_relaxed) && !goaway_sent_) {
        goaway_sent_ = true;
        nghttp2_submit_goaway(session_, NGHTTP2_FLAG_NONE,
                              nghttp2_session_get_last_proc_stream_id(session_), NGHTTP2_NO_ERROR,
                              nullptr, 0);
        kicked_ = true;
      }
      const bool flushed = out_off_ == out_.size();
      if (close_by_ms_ != 0 && now >= close_by_ms_) {
        dead_ = true;
      } else if (flushed && nghttp2_session_want_read(session_) == 0 &&
                 nghttp2_session_want_write(session_) == 0) {
        dead_ = true;  // both sides said goodbye, or the session ended on an error
      }
    }
    if (dead_) {
      reset_all();
      if (tasks_ == 0) return;
      wait_events(now + kPeriodMs, false);  // a finishing task kicks the driver
      continue;
    }
    if (io_ready_) {
      task::Yield();  // more input waits: let the loop's other work run first
      continue;
    }
    if (kicked_) continue;
    int64_t deadline = now + kPeriodMs;
    if (tasks_ == 0 && out_off_ == out_.size()) {
      const int64_t idle_end = last_active_ms_ + env_.options->idle_timeout_ms;
      if (now >= idle_end && close_by_ms_ == 0) {
        terminate(NGHTTP2_NO_ERROR);  // idle: GOAWAY, then close
        continue;
      }
      deadline = std::min(deadline, idle_end);
    }
    if (close_by_ms_ != 0) deadline = std::min(deadline, close_by_ms_);
    wait_events(deadline, true);
  }
}

void H2Session::wait_events(int64_t deadline_ms, bool io) {
  if (io) {
    uint32_t ev = EPOLLONESHOT | EPOLLRDHUP;
    if (nghttp2_session_want_read(session_) != 0) ev |= EPOLLIN;
    if (out_off_ != out_.size()) ev |= EPOLLOUT;
    if (!lc_.loop->mod(c_.fd, ev, &c_).ok()) {
      dead_ = true;
      return;
    }
  }
  waker_ = task::PrepareWait();
  parked_ = true;
  task::Park(waker_, deadline_ms);
  parked_ = false;
  waker_ = {};
}

bool H2Session::feed(const char* data, size_t len) {
  const ssize_t rv =
      nghttp2_session_mem_recv(session_, reinterpret_cast<const uint8_t*>(data), len);
  if (rv >= 0) return true;
  // Fatal to the session (flood of unanswered acks, bad preface, out of memory): one GOAWAY
  // if it can still go out, then the connection closes.
  static obs::LogLimiter failed_lines(std::chrono::seconds(1));  // client-caused
  failed_lines.log(
      obs::Level::kInfo, "http2 session failed",
      {{"REMOTE_ADDR", c_.live->remote}, {"REASON", nghttp2_strerror(static_cast<int>(rv))}});
  if (rv != NGHTTP2_ERR_NOMEM) {
    nghttp2_session_terminate_session(
        session_, rv == NGHTTP2_ERR_FLOODED ? NGHTTP2_ENHANCE_YOUR_CALM : NGHTTP2_PROTOCOL_ERROR);
    (void)write_output();
  }
  return false;
}

bool H2Session::read_input() {
  for (int round = 0; round < kReadRounds; ++round) {
    std::span<char> room(c_.buf, kReceiveBuffer);
    size_t got = 0;
    if (c_.tls_conn != nullptr) {
      const tls::TlsIo io = c_.tls_conn->read(room);
      if (io.status == tls::TlsIoStatus::kWantRead || io.status == tls::TlsIoStatus::kWantWrite) {
        return true;
      }
      if (io.status != tls::TlsIoStatus::kOk) return false;
      got = io.bytes;
    } else {
      const ssize_t n = ::recv(c_.fd, room.data(), room.size(), 0);
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return true;
      if (n <= 0) return false;
      got = static_cast<size_t>(n);
    }
    if (!feed(c_.buf, got)) return false;
    if (close_by_ms_ != 0 && nghttp2_session_want_read(session_) == 0) return true;
    // A short plain read emptied the socket; TLS may still hold decrypted bytes.
    if (c_.tls_conn == nullptr && got < room.size()) return true;
  }
  io_ready_ = true;
  return true;
}

bool H2Session::write_output() {
  for (;;) {
    while (out_.size() - out_off_ < kOutHighWater) {
      const uint8_t* data = nullptr;
      const ssize_t n = nghttp2_session_mem_send(session_, &data);
      if (n < 0) return false;
      if (n == 0) break;
      if (out_off_ == out_.size()) {
        out_.clear();
        out_off_ = 0;
      } else if (out_off_ > kOutHighWater) {
        out_.erase(0, out_off_);
        out_off_ = 0;
      }
      out_.append(reinterpret_cast<const char*>(data), static_cast<size_t>(n));
    }
    if (out_off_ == out_.size()) {
      out_.clear();
      out_off_ = 0;
      return true;
    }
    while (out_off_ < out_.size()) {
      std::span<const char> rest(out_.data() + out_off_, out_.size() - out_off_);
      if (c_.tls_conn != nullptr) {
        const tls::TlsIo io = c_.tls_conn->write(rest);
        if (io.status == tls::TlsIoStatus::kWantWrite || io.status == tls::TlsIoStatus::kWantRead) {
          return true;
        }
        if (io.status != tls::TlsIoStatus::kOk) return false;
        out_off_ += io.bytes;
      } else {
        const ssize_t n = ::send(c_.fd, rest.data(), rest.size(), MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
        if (n < 0) return false;
        out_off_ += static_cast<size_t>(n);
      }
    }
  }
}

int H2Session::on_begin_headers(int32_t stream_id) {
  auto* s = new H2Stream(*this, stream_id, &lc_.blocks, kH2StreamWindow);
  s->start_ns = MonotonicNs();
  s->headers = s->arena.allocate_scoped_array<http::Header>(env_.options->limits.max_headers);
  streams_.insert(s);
  nghttp2_session_set_stream_user_data(session_, stream_id, s);
  env_.streams.fetch_add(1, std::memory_order_relaxed);
  return 0;
}

int H2Session::on_header(int32_t stream_id, std::string_view name, std::string_view value) {
  auto* s = static_cast<H2Stream*>(nghttp2_session_get_stream_user_data(session_, stream_id));
  if (s == nullptr || s->early_status != 0) return 0;
  const http::Limits& limits = env_.options->limits;
  // Counted as the HTTP/1.1 head would be ("name: value\r\n"), against the same bound.
  s->header_bytes += name.size() + value.size() + 4;
  if (s->header_bytes > limits.max_head_bytes || s->headers == nullptr) {
    s->early_status = 431;
    return 0;
  }
  std::string_view v = value.empty() ? std::string_view() : s->arena.copy(value);
  if (v.size() != value.size()) {
    s->early_status = 431;
    return 0;
  }
  if (!name.empty() && name.front() == ':') {
    if (name == ":method") s->method = v;
    if (name == ":path") s->path = v;
    if (name == ":authority") s->authority = v;
    if (name == ":scheme") s->scheme = v;
    return 0;
  }
  if (s->nheaders >= limits.max_headers) {
    s->early_status = 431;
    return 0;
  }
  std::string_view n = s->arena.copy(name);
  if (n.size() != name.size()) {
    s->early_status = 431;
    return 0;
  }
  if (n == "host" && s->authority.empty()) s->authority = v;
  s->headers[s->nheaders++] = http::Header{n, v};
  return 0;
}

// The request as HTTP/1.1 would have parsed it, so the handler and SigV4 see no difference:
// lowercase names, :authority as the host, Content-Length as announced.
bool H2Session::build_request(H2Stream* s) {
  http::Request& r = s->request;
  if (s->method.empty() || s->path.empty()) return false;
  for (char ch : s->path) {
    if (!IsTargetChar(ch)) return false;
  }
  r.method_name = s->method;
  r.method = MethodFromName(s->method);
  r.target = s->path;
  if (s->path == "*") {
    if (r.method != http::Method::kOptions) return false;
    r.path = s->path;
  } else {
    if (s->path.front() != '/') return false;
    const size_t q = s->path.find('?');
    r.path = s->path.substr(0, q);
    r.query = q == std::string_view::npos ? std::string_view() : s->path.substr(q + 1);
  }
  r.minor_version = 1;
  r.headers = std::span<const http::Header>(s->headers, s->nheaders);
  r.host = s->authority;
  r.keep_alive = true;
  if (std::string_view cl = r.header("content-length"); !cl.empty()) {
    uint64_t n = 0;
    auto [p, ec] = std::from_chars(cl.data(), cl.data() + cl.size(), n);
    if (ec != std::errc() || p != cl.data() + cl.size()) return false;
    if (n > env_.options->limits.max_body_bytes) {
      s->early_status = 413;
      return true;
    }
    r.content_length = n;
  } else if (!s->input_ended) {
    r.chunked = true;  // a body framed by DATA frames, length unknown: like chunked
  }
  r.expect_continue = !s->input_ended && EqualsIgnoreCase(r.header("expect"), "100-continue");
  return true;
}

void H2Session::reply_static(H2Stream* s, int status, std::string_view type, std::string body) {
  s->static_reply = true;
  s->static_body = std::move(body);
  if (s->request.method == http::Method::kHead) s->static_body.clear();
  char code[4];
  std::to_chars(code, code + sizeof(code), status);
  char length[24];
  const auto end = std::to_chars(length, length + sizeof(length), s->static_body.size()).ptr;
  nghttp2_nv nva[5];
  size_t n = 0;
  nva[n++] = Nv(":status", std::string_view(code, 3));
  nva[n++] = Nv("date", http::CurrentHttpDate());
  nva[n++] = Nv("server", "Flashstor");
  if (!type.empty()) nva[n++] = Nv("content-type", type);
  nva[n++] = Nv("content-length", std::string_view(length, static_cast<size_t>(end - length)));
  nghttp2_data_provider provider{};
  provider.source.ptr = s;
  provider.read_callback = H2ReadBody;
  nghttp2_submit_response(session_, s->id, nva, n, s->static_body.empty() ? nullptr : &provider);
  last_active_ms_ = MonotonicMs();
}

void H2Session::start_stream(H2Stream* s) {
  if (!build_request(s) && s->early_status == 0) s->early_status = 400;
  if (s->early_status != 0) {
    auto [type, body] = *env_.error_body ? (*env_.error_body)(s->early_status)
                                         : std::pair<std::string, std::string>{};
    return reply_static(s, s->early_status, type, std::move(body));
  }
  if (*env_.loop_responder) {
    LoopReply reply;
    if ((*env_.loop_responder)(s->request, s->arena, reply)) {
      return reply_static(s, reply.status, reply.content_type, std::move(reply.body));
    }
  }
  if (!env_.tasks->try_start_stream()) {
    auto [type, body] =
        *env_.error_body ? (*env_.error_body)(503) : std::pair<std::string, std::string>{};
    return reply_static(s, 503, type, std::move(body));
  }
  s->task_started = true;
  s->cancel = task::CancelToken::Make();
  ++tasks_;
  last_active_ms_ = MonotonicMs();
  if (!lc_.loop->scheduler().spawn([s] { RunH2Stream(*s); })) {
    s->task_started = false;
    --tasks_;
    env_.tasks->finish_stream();
    auto [type, body] =
        *env_.error_body ? (*env_.error_body)(503) : std::pair<std::string, std::string>{};
    reply_static(s, 503, type, std::move(body));
  }
}

int H2Session::on_frame_recv(uint8_t type, uint8_t flags, int32_t stream_id, size_t length) {
  const bool end_stream = (flags & NGHTTP2_FLAG_END_STREAM) != 0;
  auto* s = stream_id != 0
                ? static_cast<H2Stream*>(nghttp2_session_get_stream_user_data(session_, stream_id))
                : nullptr;
  switch (type) {
    case NGHTTP2_HEADERS:
      if (s == nullptr) return 0;
      if (end_stream) s->input_ended = true;
      if ((flags & 0x80) != 0 && !s->task_started && !s->static_reply) {
        start_stream(s);
      } else {
        s->wake();
      }
      return 0;
    case NGHTTP2_DATA:
      if (length == 0 && !end_stream) glitch();
      if (s != nullptr && end_stream) {
        s->input_ended = true;
        s->wake();
      }
      return 0;
    case NGHTTP2_PING:
    case NGHTTP2_SETTINGS:
      if ((flags & NGHTTP2_FLAG_ACK) == 0) glitch();
      return 0;
    case NGHTTP2_PRIORITY:
    case NGHTTP2_RST_STREAM:
      glitch();
      return 0;
    default:
      return 0;
  }
}

int H2Session::on_data_chunk(int32_t stream_id, const uint8_t* data, size_t len) {
  auto* s = static_cast<H2Stream*>(nghttp2_session_get_stream_user_data(session_, stream_id));
  if (s != nullptr) s->body_received += len;
  if (s == nullptr || !s->task_started || s->task_done || s->closed || s->too_large) {
    nghttp2_session_consume(session_, stream_id, len);  // nobody reads it: discard
    return 0;
  }
  if (s->body_received > env_.options->limits.max_body_bytes) {
    s->too_large = true;
    nghttp2_session_consume(session_, stream_id, len);
  } else if (!s->input.push(std::span<const char>(reinterpret_cast<const char*>(data), len))) {
    // Past the window we advertised (or out of memory): the stream cannot continue.
    nghttp2_session_consume(session_, stream_id, len);
    nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, stream_id, NGHTTP2_FLOW_CONTROL_ERROR);
  }
  s->wake();
  return 0;
}

int H2Session::on_stream_close(int32_t stream_id, uint32_t) {
  auto* s = static_cast<H2Stream*>(nghttp2_session_get_stream_user_data(session_, stream_id));
  if (s == nullptr) return 0;
  s->closed = true;
  cancel_request(s);
  // Body bytes nobody will read still hold the connection's window: give it back.
  if (const size_t dropped = s->input.clear(); dropped > 0) {
    nghttp2_session_consume_connection(session_, dropped);
  }
  s->wake();
  if (!s->task_started || s->task_done) free_stream(s);
  return 0;
}

int H2Session::on_frame_send(uint8_t type, uint8_t flags, int32_t stream_id) {
  if ((type != NGHTTP2_HEADERS && type != NGHTTP2_DATA) || (flags & NGHTTP2_FLAG_END_STREAM) == 0) {
    return 0;
  }
  auto* s = static_cast<H2Stream*>(nghttp2_session_get_stream_user_data(session_, stream_id));
  // The response is complete while the client still sends its body: tell it to stop
  // (RFC 9113 §8.1), so the stream and its window are not held by bytes nobody reads. Not
  // when the rest of a body of announced length fits in the window the client already has:
  // those bytes come anyway (and are discarded), and a client that takes the reset for a
  // failed upload keeps its answer (curl 7.88, Debian 12's, fails with "Stream error in the
  // HTTP/2 framing layer" when a 403 overtakes the first DATA frame of a small PUT).
  if (s != nullptr && !s->input_ended && !rest_fits_window(s)) {
    nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, stream_id, NGHTTP2_NO_ERROR);
  }
  return 0;
}

bool H2Session::rest_fits_window(const H2Stream* s) const {
  const std::optional<uint64_t>& length = s->request.content_length;
  if (!s->task_started || !length || s->body_received > *length) return false;
  const int32_t window = nghttp2_session_get_stream_local_window_size(session_, s->id);
  return window >= 0 && *length - s->body_received <= static_cast<uint64_t>(window);
}

void H2Session::task_finished(H2Stream* s) {
  s->task_done = true;
  s->budget = nullptr;
  s->pending = {};
  --tasks_;
  env_.tasks->finish_stream();
  last_active_ms_ = MonotonicMs();
  if (s->closed) {
    free_stream(s);
  } else if (!dead_ && !s->input.empty()) {
    nghttp2_session_consume(session_, s->id, s->input.clear());
  }
  kick();
}

// A stream closed while its task runs and before its response ended (the client reset it, or
// the connection is gone): the request's server-side waits end now (h2_stream.h).
void H2Session::cancel_request(H2Stream* s) {
  if (!s->task_started || s->task_done || s->out_end || s->cancel.cancelled()) return;
  env_.tasks->mutable_counters().cancelled.fetch_add(1, std::memory_order_relaxed);
  static obs::LogLimiter reset_lines(std::chrono::seconds(1));  // client-caused
  reset_lines.log(obs::Level::kInfo, "http2 stream reset while its request waited",
                  {{"REMOTE_ADDR", c_.live->remote}, {"STREAM_ID", std::to_string(s->id)}});
  s->cancel.cancel();
}

void H2Session::reset_all() {
  for (H2Stream* s : streams_) {
    if (s->closed) continue;
    s->closed = true;
    cancel_request(s);
    s->wake();
  }
}

void H2Session::free_stream(H2Stream* s) {
  if (!dead_) nghttp2_session_set_stream_user_data(session_, s->id, nullptr);
  streams_.erase(s);
  delete s;
}

}  // namespace flashstor::net
