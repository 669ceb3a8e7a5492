// HttpConnection: blocking socket I/O with SO_RCVTIMEO/SO_SNDTIMEO deadlines, response framing
// by Content-Length, chunked or connection close; bodies are streamed through a fixed buffer.
#include "http_connection.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "response_head.h"

namespace flashstor::bench {
namespace {

Result<uint16_t> ParsePort(std::string_view s) {
  if (s.empty() || s.size() > 5) return Err(Code::kInvalidArgument, "bad port");
  uint32_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return Err(Code::kInvalidArgument, "bad port");
    v = v * 10 + static_cast<uint32_t>(c - '0');
  }
  if (v == 0 || v > 65535) return Err(Code::kInvalidArgument, "bad port");
  return static_cast<uint16_t>(v);
}

Status ErrnoStatus(int err, std::string_view what) {
  if (err == EAGAIN || err == EWOULDBLOCK || err == ETIMEDOUT) {
    return Status(Code::kTimeout, what, err);
  }
  if (err == EPIPE || err == ECONNRESET) return Status(Code::kCancelled, what, err);
  return Status(Code::kIoError, what, err);
}

}  // namespace

Result<Endpoint> ParseEndpoint(std::string_view url) {
  if (!url.starts_with("http://")) return Err(Code::kInvalidArgument, "endpoint must be http://");
  url.remove_prefix(7);
  if (url.ends_with('/')) url.remove_suffix(1);
  Endpoint ep;
  const size_t colon = url.rfind(':');
  if (colon == std::string_view::npos) return Err(Code::kInvalidArgument, "endpoint needs a port");
  std::string_view host = url.substr(0, colon);
  auto port = ParsePort(url.substr(colon + 1));
  if (!port) return std::unexpected(port.error());
  ep.host = std::string(url);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    auto* a6 = reinterpret_cast<sockaddr_in6*>(&ep.addr);
    a6->sin6_family = AF_INET6;
    a6->sin6_port = htons(*port);
    const std::string h(host.substr(1, host.size() - 2));
    if (inet_pton(AF_INET6, h.c_str(), &a6->sin6_addr) != 1 ||
        !IN6_IS_ADDR_LOOPBACK(&a6->sin6_addr)) {
      return Err(Code::kInvalidArgument, "endpoint must be a loopback address");
    }
    ep.addr_len = sizeof(sockaddr_in6);
    return ep;
  }
  auto* a4 = reinterpret_cast<sockaddr_in*>(&ep.addr);
  a4->sin_family = AF_INET;
  a4->sin_port = htons(*port);
  const std::string h(host == "localhost" ? std::string_view("127.0.0.1") : host);
  if (inet_pton(AF_INET, h.c_str(), &a4->sin_addr) != 1 ||
      (ntohl(a4->sin_addr.s_addr) >> 24) != 127) {
    return Err(Code::kInvalidArgument, "endpoint must be a loopback address");
  }
  ep.addr_len = sizeof(sockaddr_in);
  return ep;
}

HttpConnection::HttpConnection(const Endpoint& endpoint, int timeout_ms, size_t buffer_size)
    : endpoint_(endpoint),
      timeout_ms_(timeout_ms),
      buffer_size_(std::max(buffer_size, 2 * kMaxHead)) {}

HttpConnection::~HttpConnection() {
  close();
}

Status HttpConnection::open() {
  close();
  fd_ = ::socket(endpoint_.addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) return StatusFromErrno(errno, "socket");
  timeval tv{timeout_ms_ / 1000, (timeout_ms_ % 1000) * 1000};
  const int one = 1;
  (void)::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  (void)::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  (void)::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  if (::connect(fd_, reinterpret_cast<const sockaddr*>(&endpoint_.addr), endpoint_.addr_len) != 0) {
    const int err = errno;
    close();
    return Status(err == EINPROGRESS ? Code::kTimeout : Code::kUnavailable, "connect", err);
  }
  if (buf_.empty()) buf_.resize(buffer_size_);
  begin_ = end_ = 0;
  served_ = 0;
  return Status::Ok();
}

void HttpConnection::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  begin_ = end_ = 0;
}

bool HttpConnection::alive() const {
  if (fd_ < 0) return false;
  char byte;
  const ssize_t n = ::recv(fd_, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

Status HttpConnection::send_all(std::string_view head, std::span<const char> body) {
  size_t head_off = 0;
  size_t body_off = 0;
  while (head_off < head.size() || body_off < body.size()) {
    iovec iov[2];
    int n = 0;
    if (head_off < head.size()) {
      iov[n++] = {const_cast<char*>(head.data() + head_off), head.size() - head_off};
    }
    if (body_off < body.size()) {
      iov[n++] = {const_cast<char*>(body.data() + body_off), body.size() - body_off};
    }
    msghdr msg{};
    msg.msg_iov = iov;
    msg.msg_iovlen = static_cast<size_t>(n);
    const ssize_t sent = ::sendmsg(fd_, &msg, MSG_NOSIGNAL);
    if (sent < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus(errno, "send");
    }
    size_t left = static_cast<size_t>(sent);
    const size_t h = std::min(left, head.size() - head_off);
    head_off += h;
    body_off += left - h;
  }
  return Status::Ok();
}

Status HttpConnection::fill() {
  if (begin_ == end_) {
    begin_ = end_ = 0;
  } else if (end_ == buf_.size()) {
    std::memmove(buf_.data(), buf_.data() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  if (end_ == buf_.size()) return Status(Code::kTooLarge, "response line too long");
  for (;;) {
    const ssize_t n = ::recv(fd_, buf_.data() + end_, buf_.size() - end_, 0);
    if (n > 0) {
      end_ += static_cast<size_t>(n);
      return Status::Ok();
    }
    if (n == 0) return Status(Code::kCancelled, "connection closed by server");
    if (errno != EINTR) return ErrnoStatus(errno, "recv");
  }
}

Result<std::string_view> HttpConnection::read_head(bool any_received) {
  size_t searched = 0;  // offset after begin_ before which no terminator starts
  for (;;) {
    const std::string_view have(buf_.data() + begin_, end_ - begin_);
    const size_t pos = have.find("\r\n\r\n", searched);
    if (pos != std::string_view::npos) {
      begin_ += pos + 4;
      return have.substr(0, pos + 4);
    }
    if (have.size() > kMaxHead) return Err(Code::kTooLarge, "response head too large");
    searched = have.size() >= 3 ? have.size() - 3 : 0;
    const bool partial = !have.empty();
    Status s = fill();
    if (s.code() == Code::kCancelled && (any_received || partial)) {
      return Err(Code::kIoError, "connection closed inside a response head");
    }
    if (!s.ok()) return std::unexpected(s);
  }
}

Result<std::string_view> HttpConnection::read_line() {
  for (;;) {
    const std::string_view have(buf_.data() + begin_, end_ - begin_);
    const size_t pos = have.find("\r\n");
    if (pos != std::string_view::npos) {
      begin_ += pos + 2;
      return have.substr(0, pos);
    }
    if (have.size() > 4096) return Err(Code::kInvalidArgument, "chunk line too long");
    Status s = fill();
    if (s.code() == Code::kCancelled) return Err(Code::kIoError, "truncated chunked body");
    if (!s.ok()) return std::unexpected(s);
  }
}

void HttpConnection::take(size_t n, std::span<const char> expect, Response& r) {
  const char* p = buf_.data() + begin_;
  if (r.body_prefix.size() < Response::kPrefixMax) {
    r.body_prefix.append(p, std::min(n, Response::kPrefixMax - r.body_prefix.size()));
  }
  if (!expect.empty() && !r.body_mismatch) {
    r.body_mismatch =
        r.body_bytes + n > expect.size() || std::memcmp(expect.data() + r.body_bytes, p, n) != 0;
  }
  r.body_bytes += n;
  begin_ += n;
}

Status HttpConnection::read_body(uint64_t n, std::span<const char> expect, Response& r) {
  while (n > 0) {
    if (begin_ == end_) {
      Status s = fill();
      if (s.code() == Code::kCancelled) return Status(Code::kIoError, "truncated body");
      FS_RETURN_IF_ERROR(s);
    }
    const size_t k = static_cast<size_t>(std::min<uint64_t>(n, end_ - begin_));
    take(k, expect, r);
    n -= k;
  }
  return Status::Ok();
}

Status HttpConnection::read_chunked(std::span<const char> expect, Response& r) {
  for (;;) {
    auto line = read_line();
    if (!line) return line.error();
    auto size = ParseChunkSize(*line);
    if (!size) return Status(Code::kInvalidArgument, "bad chunk size");
    if (r.body_bytes + *size > kMaxContentLength) return Status(Code::kTooLarge, "body too large");
    if (*size == 0) break;
    FS_RETURN_IF_ERROR(read_body(*size, expect, r));
    auto crlf = read_line();
    if (!crlf) return crlf.error();
    if (!crlf->empty()) return Status(Code::kInvalidArgument, "chunk not followed by CRLF");
  }
  for (int i = 0; i < 64; ++i) {  // trailer section, bounded
    auto line = read_line();
    if (!line) return line.error();
    if (line->empty()) return Status::Ok();
  }
  return Status(Code::kInvalidArgument, "too many trailers");
}

Result<Response> HttpConnection::round_trip(std::string_view head, std::span<const char> body,
                                            bool is_head, std::span<const char> expect) {
  if (!is_open()) FS_RETURN_IF_ERROR(open());
  const Status sent = send_all(head, body);
  if (!sent.ok() && sent.code() != Code::kCancelled) {
    close();
    return std::unexpected(sent);
  }
  // The server may answer early (e.g. 403) and close before taking the whole body: read on.
  Response r;
  ResponseHead h;
  bool any = false;
  do {
    auto raw = read_head(any);
    if (!raw) {
      close();
      return std::unexpected(sent.ok() ? raw.error() : sent);
    }
    auto parsed = ParseResponseHead(*raw);
    if (!parsed) {
      close();
      return std::unexpected(parsed.error());
    }
    h = *parsed;
    any = true;
  } while (h.status >= 100 && h.status < 200 && h.status != 101);
  r.status = h.status;
  r.keep_alive = h.keep_alive && sent.ok();
  Status s = Status::Ok();
  if (is_head || h.status == 204 || h.status == 304) {
    // no body
  } else if (h.chunked) {
    s = read_chunked(expect, r);
  } else if (h.content_length) {
    s = read_body(*h.content_length, expect, r);
  } else {
    r.keep_alive = false;  // body until the server closes
    for (;;) {
      Status f = begin_ == end_ ? fill() : Status::Ok();
      if (f.code() == Code::kCancelled) break;
      if (!f.ok() || r.body_bytes > kMaxContentLength) {
        s = f.ok() ? Status(Code::kTooLarge, "body too large") : f;
        break;
      }
      take(end_ - begin_, expect, r);
    }
  }
  if (!s.ok()) {
    close();
    return std::unexpected(s);
  }
  if (!expect.empty() && r.body_bytes != expect.size()) r.body_mismatch = true;
  ++served_;
  if (!r.keep_alive) close();
  return r;
}

}  // namespace flashstor::bench
