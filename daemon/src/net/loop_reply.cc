// Loop replies: formatting and non-blocking, resumable sending over plain TCP or TLS.
#include "loop_reply.h"

#include <sys/socket.h>

#include <cerrno>
#include <cstdio>

#include "flashstor/http/response.h"
#include "flashstor/tls/tls_connection.h"

namespace flashstor::net {

void PrepareLoopReply(Connection& c, int status, std::string_view content_type,
                      std::string_view body) {
  char head[512];
  std::string_view reason = http::ReasonPhrase(status);
  int n = std::snprintf(head, sizeof(head),
                        "HTTP/1.1 %d %.*s\r\nServer: Flashstor\r\nConnection: close\r\n"
                        "Cache-Control: no-store\r\nContent-Type: %.*s\r\n"
                        "Content-Length: %zu\r\n\r\n",
                        status, static_cast<int>(reason.size()), reason.data(),
                        static_cast<int>(content_type.size()), content_type.data(), body.size());
  c.live->reply.clear();
  if (n > 0 && static_cast<size_t>(n) < sizeof(head))
    c.live->reply.assign(head, static_cast<size_t>(n));
  if (c.live->request.method != http::Method::kHead) c.live->reply.append(body);
  c.live->reply_sent = 0;
}

FlushResult FlushLoopReply(Connection& c) {
  while (c.live->reply_sent < c.live->reply.size()) {
    std::string_view rest = std::string_view(c.live->reply).substr(c.live->reply_sent);
    if (c.tls_conn != nullptr) {
      tls::TlsIo io = c.tls_conn->write(std::span<const char>(rest.data(), rest.size()));
      if (io.status == tls::TlsIoStatus::kWantRead) return FlushResult::kWantRead;
      if (io.status == tls::TlsIoStatus::kWantWrite) return FlushResult::kWantWrite;
      if (io.status != tls::TlsIoStatus::kOk) return FlushResult::kFailed;
      c.live->reply_sent += io.bytes;
      continue;
    }
    ssize_t n = ::send(c.fd, rest.data(), rest.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      c.live->reply_sent += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return FlushResult::kWantWrite;
    return FlushResult::kFailed;
  }
  if (c.tls_conn != nullptr) (void)c.tls_conn->shutdown();
  return FlushResult::kDone;
}

}  // namespace flashstor::net
