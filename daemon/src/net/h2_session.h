// H2Session: one HTTP/2 connection (h2 chosen by ALPN, or h2c with prior knowledge) served
// through libnghttp2. A driver task per connection owns the socket: it feeds received bytes to
// nghttp2, writes what nghttp2 produces, and sleeps on the loop between events. Each complete
// request head becomes a request task running the same handler behind http::Exchange; tasks
// never touch the socket, they park until the driver delivers body bytes or takes their
// response bytes (flow control in both directions). See docs/http2.md.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_set>

#include "connection.h"
#include "flashstor/net/http_server.h"
#include "flashstor/net/server_options.h"
#include "flashstor/task/fiber.h"
#include "h2_stream.h"

typedef struct nghttp2_session nghttp2_session;

namespace flashstor::net {

struct LoopContext;
class RequestTasks;

// What the server shares with its HTTP/2 connections (set up by HttpServer::start).
struct H2Env {
  const ServerOptions* options = nullptr;
  http::Handler* handler = nullptr;
  RequestTasks* tasks = nullptr;
  const HttpServer::ErrorBodyFn* error_body = nullptr;
  const HttpServer::LoopResponder* loop_responder = nullptr;
  const std::atomic<bool>* stopping = nullptr;
  const std::atomic<bool>* cancel_waits = nullptr;
  std::atomic<uint64_t> connections{0};  // HTTP/2 connections since start
  std::atomic<uint64_t> streams{0};      // requests (streams) since start
  std::atomic<uint64_t> refused{0};      // streams refused or reset by flood limits
  std::atomic<uint64_t> goaways{0};      // connections ended with a GOAWAY for an error
  std::function<void(LoopContext&, Connection*)> close;  // ends a connection (loop thread)
};

// The connection preface a client sends first (RFC 9113 §3.4).
inline constexpr std::string_view kHttp2Preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

// Per-stream receive window: the request body bytes buffered per stream at most.
inline constexpr int32_t kH2StreamWindow = 256 * 1024;
// Connection receive window: request body bytes buffered per connection at most.
inline constexpr int32_t kH2ConnectionWindow = 1024 * 1024;

class H2Session {
 public:
  H2Session(H2Env& env, LoopContext& lc, Connection& c);
  ~H2Session();
  H2Session(const H2Session&) = delete;
  H2Session& operator=(const H2Session&) = delete;

  // Loop thread: starts the driver task; the bytes already in c.buf (the preface at least)
  // are fed first. False when no task could be started (close the connection).
  bool start();
  // The socket became ready (epoll): wakes the driver.
  void on_io_ready();
  // The server stops waiting for clients: every stream's waits end now.
  void cancel_waits();

  // For the streams' tasks (h2_stream.cc), on the loop thread.
  nghttp2_session* session() { return session_; }
  void kick();  // the driver has work: frames to send (window updates, response data)
  Connection& connection() { return c_; }
  H2Env& env() { return env_; }
  bool cancelled() const;
  void task_finished(H2Stream* s);

  // nghttp2 callbacks (h2_session.cc).
  int on_begin_headers(int32_t stream_id);
  int on_header(int32_t stream_id, std::string_view name, std::string_view value);
  int on_frame_recv(uint8_t type, uint8_t flags, int32_t stream_id, size_t length);
  int on_data_chunk(int32_t stream_id, const uint8_t* data, size_t len);
  int on_stream_close(int32_t stream_id, uint32_t error_code);
  int on_frame_send(uint8_t type, uint8_t flags, int32_t stream_id);
  void glitch();  // a frame that costs us and serves nothing: counted against a budget

 private:
  void drive();
  bool read_input();    // false: the connection is gone
  bool write_output();  // false: the connection is gone
  bool feed(const char* data, size_t len);
  void start_stream(H2Stream* s);
  bool build_request(H2Stream* s);
  void reply_static(H2Stream* s, int status, std::string_view type, std::string body);
  // The rest of the request body (announced length) fits in the client's stream window.
  bool rest_fits_window(const H2Stream* s) const;
  void reset_all();
  void cancel_request(H2Stream* s);
  void free_stream(H2Stream* s);
  void terminate(uint32_t error_code);
  void wait_events(int64_t deadline_ms, bool io);

  H2Env& env_;
  LoopContext& lc_;
  Connection& c_;
  nghttp2_session* session_ = nullptr;
  std::unordered_set<H2Stream*> streams_;
  size_t tasks_ = 0;  // stream tasks running
  std::string out_;   // frames nghttp2 produced, not yet written
  size_t out_off_ = 0;
  bool io_ready_ = true;
  bool kicked_ = false;
  bool parked_ = false;
  bool dead_ = false;         // the socket is gone or the session ended
  bool goaway_sent_ = false;  // graceful GOAWAY after the server started stopping
  int64_t close_by_ms_ = 0;   // after a GOAWAY: close by then even if the peer does not read
  int64_t last_active_ms_ = 0;
  task::Waker waker_;
  // Control-frame budget (PING, SETTINGS, PRIORITY, empty DATA, refused streams, invalid
  // frames): tokens refill at kGlitchRate per second up to kGlitchBurst.
  double glitch_tokens_;
  int64_t glitch_ms_ = 0;
};

}  // namespace flashstor::net
