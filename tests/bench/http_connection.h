// HttpConnection: one blocking HTTP/1.1 keep-alive client connection to a loopback endpoint,
// used by one load-generator thread. Sends a prepared head plus body, reads and checks the
// response (status, framing, body length), discarding the body as it streams.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "flashstor/common/status.h"

namespace flashstor::bench {

struct Endpoint {
  sockaddr_storage addr{};
  socklen_t addr_len = 0;
  std::string host;  // Host header value, "127.0.0.1:9000"
};

// "http://127.0.0.1:PORT" (or "http://[::1]:PORT", "http://localhost:PORT"; optional trailing
// '/'). Only loopback addresses are accepted: the benchmark never leaves the machine.
Result<Endpoint> ParseEndpoint(std::string_view url);

struct Response {
  int status = 0;
  uint64_t body_bytes = 0;
  bool keep_alive = true;
  bool body_mismatch = false;  // body differed from `expect` (only checked when given)
  std::string body_prefix;     // the first kPrefixMax bytes of the body (error text, JSON)
  static constexpr size_t kPrefixMax = 4096;
};

class HttpConnection {
 public:
  static constexpr size_t kMaxHead = 64 * 1024;
  static constexpr size_t kBufferSize = 256 * 1024;

  // buffer_size: the read buffer (allocated on first open), at least 2 x kMaxHead.
  HttpConnection(const Endpoint& endpoint, int timeout_ms, size_t buffer_size = kBufferSize);
  ~HttpConnection();
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;

  bool is_open() const { return fd_ >= 0; }
  // True once a response has been read on the current socket (a failure then may just be the
  // server closing an idle keep-alive connection: the caller may retry once on a new one).
  bool reused() const { return served_ > 0; }
  Status open();
  void close();
  // True when open and the server has not closed it (non-blocking peek; for idle checks).
  bool alive() const;

  // Sends head (complete, ending in an empty line) then body, reads the whole response.
  // is_head: the response has no body. expect: when non-empty, the body is compared with it.
  // Errors: kCancelled (closed before any response byte), kTimeout, kIoError, kInvalidArgument
  // (malformed response), kTooLarge (head over kMaxHead). After an error the socket is closed;
  // after a response without keep-alive too.
  Result<Response> round_trip(std::string_view head, std::span<const char> body, bool is_head,
                              std::span<const char> expect = {});

 private:
  Status send_all(std::string_view head, std::span<const char> body);
  Status fill();  // reads more into buf_ after end_; kCancelled on EOF
  Result<std::string_view> read_head(bool any_received);
  Status read_body(uint64_t n, std::span<const char> expect, Response& r);
  Status read_chunked(std::span<const char> expect, Response& r);
  Result<std::string_view> read_line();
  void take(size_t n, std::span<const char> expect, Response& r);

  Endpoint endpoint_;
  int timeout_ms_;
  size_t buffer_size_;
  int fd_ = -1;
  uint64_t served_ = 0;
  std::vector<char> buf_;
  size_t begin_ = 0;  // unread bytes are buf_[begin_, end_)
  size_t end_ = 0;
};

}  // namespace flashstor::bench
