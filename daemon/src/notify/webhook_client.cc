// PostJson: a minimal HTTP/1.1 client (Connection: close) over a non-blocking TCP socket,
// polled in short slices so a deadline and a stop flag both end it promptly.
#include "flashstor/notify/webhook_client.h"

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>

namespace flashstor::notify {
namespace {

using Clock = std::chrono::steady_clock;
constexpr int kSliceMs = 100;                   // stop flag checked this often
constexpr size_t kMaxResponseHead = 16 * 1024;  // only the status line matters

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

// Waits for events on fd until the deadline. Ok when ready.
Status WaitFor(int fd, short events, Clock::time_point deadline, const std::atomic<bool>& stop) {
  for (;;) {
    if (stop.load(std::memory_order_relaxed)) return Status(Code::kCancelled, "stopping");
    auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return Status(Code::kTimeout, "webhook deadline");
    pollfd p{fd, events, 0};
    int n = poll(&p, 1, static_cast<int>(std::min<long long>(left, kSliceMs)));
    if (n > 0) return Status::Ok();
    if (n < 0 && errno != EINTR) return Status(Code::kIoError, "poll failed", errno);
  }
}

Result<int> Connect(const WebhookUrl& url, Clock::time_point deadline,
                    const std::atomic<bool>& stop) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (getaddrinfo(url.host.c_str(), url.port.c_str(), &hints, &found) != 0 || found == nullptr) {
    return Err(Code::kUnavailable, "cannot resolve the webhook host");
  }
  Status last(Code::kUnavailable, "cannot connect to the webhook");
  for (addrinfo* ai = found; ai != nullptr; ai = ai->ai_next) {
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) continue;
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0 && errno != EINPROGRESS) {
      close(fd);
      continue;
    }
    Status s = WaitFor(fd, POLLOUT, deadline, stop);
    int err = 0;
    socklen_t len = sizeof(err);
    if (s.ok() && (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0)) {
      s = Status(Code::kUnavailable, "cannot connect to the webhook", err);
    }
    if (s.ok()) {
      freeaddrinfo(found);
      return fd;
    }
    close(fd);
    last = s;
    if (s.code() == Code::kCancelled || s.code() == Code::kTimeout) break;
  }
  freeaddrinfo(found);
  return std::unexpected(last);
}

Status SendAll(int fd, std::string_view data, Clock::time_point deadline,
               const std::atomic<bool>& stop) {
  while (!data.empty()) {
    ssize_t n = send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n > 0) {
      data.remove_prefix(static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
      return Status(Code::kUnavailable, "webhook connection reset", errno);
    }
    FS_RETURN_IF_ERROR(WaitFor(fd, POLLOUT, deadline, stop));
  }
  return Status::Ok();
}

// Reads until the status line is complete: "HTTP/1.x NNN ...\r\n".
Result<int> ReadStatus(int fd, Clock::time_point deadline, const std::atomic<bool>& stop) {
  std::string head;
  char buf[2048];
  for (;;) {
    size_t eol = head.find("\r\n");
    if (eol != std::string::npos) {
      std::string_view line(head.data(), eol);
      if (!line.starts_with("HTTP/1.") || line.size() < 12 || line[8] != ' ') {
        return Err(Code::kCorrupt, "the webhook did not answer HTTP");
      }
      int status = 0;
      auto [p, ec] = std::from_chars(line.data() + 9, line.data() + 12, status);
      if (ec != std::errc() || p != line.data() + 12) {
        return Err(Code::kCorrupt, "the webhook did not answer HTTP");
      }
      return status;
    }
    if (head.size() > kMaxResponseHead) return Err(Code::kCorrupt, "webhook status line too long");
    ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n > 0) {
      head.append(buf, static_cast<size_t>(n));
      continue;
    }
    if (n == 0) return Err(Code::kUnavailable, "the webhook closed the connection");
    if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
      return Err(Code::kUnavailable, "webhook connection reset", errno);
    }
    FS_RETURN_IF_ERROR(WaitFor(fd, POLLIN, deadline, stop));
  }
}

}  // namespace

Result<WebhookUrl> ParseWebhookUrl(std::string_view url) {
  constexpr std::string_view kScheme = "http://";
  if (!url.starts_with(kScheme)) return Err(Code::kInvalidArgument, "must start with http://");
  url.remove_prefix(kScheme.size());
  WebhookUrl out;
  size_t slash = url.find('/');
  std::string_view authority = url.substr(0, slash);
  if (slash != std::string_view::npos) out.path = std::string(url.substr(slash));
  if (authority.empty()) return Err(Code::kInvalidArgument, "no host");
  if (authority.find('@') != std::string_view::npos) {
    return Err(Code::kInvalidArgument, "credentials in the URL; use auth_token_file");
  }
  std::string_view host = authority, port;
  if (authority.front() == '[') {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return Err(Code::kInvalidArgument, "bad IPv6 host");
    host = authority.substr(1, close - 1);
    std::string_view rest = authority.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return Err(Code::kInvalidArgument, "bad port");
      port = rest.substr(1);
    }
  } else if (size_t colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  if (host.empty()) return Err(Code::kInvalidArgument, "no host");
  if (!port.empty() || authority.back() == ':') {
    int p = 0;
    auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
    if (ec != std::errc() || ptr != port.data() + port.size() || p < 1 || p > 65535) {
      return Err(Code::kInvalidArgument, "bad port");
    }
    out.port = std::string(port);
  }
  for (char c : out.path) {
    if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f) {
      return Err(Code::kInvalidArgument, "control characters or spaces in the path");
    }
  }
  out.host = std::string(host);
  return out;
}

Result<int> PostJson(const WebhookUrl& url, std::string_view body, std::string_view bearer_token,
                     std::chrono::milliseconds timeout, const std::atomic<bool>& stop) {
  const Clock::time_point deadline = Clock::now() + timeout;
  auto fd = Connect(url, deadline, stop);
  if (!fd) return std::unexpected(fd.error());
  Fd sock(*fd);
  std::string head = "POST " + url.path + " HTTP/1.1\r\nHost: " + url.host + ":" + url.port +
                     "\r\nUser-Agent: flashstor\r\nContent-Type: application/json\r\n"
                     "Connection: close\r\nContent-Length: " +
                     std::to_string(body.size()) + "\r\n";
  if (!bearer_token.empty()) head += "Authorization: Bearer " + std::string(bearer_token) + "\r\n";
  head += "\r\n";
  FS_RETURN_IF_ERROR(SendAll(sock.get(), head, deadline, stop));
  FS_RETURN_IF_ERROR(SendAll(sock.get(), body, deadline, stop));
  return ReadStatus(sock.get(), deadline, stop);
}

}  // namespace flashstor::notify
