// SendEarlyResponse: formats a complete "Connection: close" response and sends it once.
#include "early_response.h"

#include <sys/socket.h>
#include <sys/uio.h>

#include <cstdio>
#include <string>

#include "flashstor/http/response.h"
#include "flashstor/tls/tls_connection.h"

namespace flashstor::net {

void SendEarlyResponse(int fd, tls::TlsConnection* tls, int status, std::string_view content_type,
                       std::string_view body) {
  char head[512];
  std::string_view reason = http::ReasonPhrase(status);
  int n = std::snprintf(head, sizeof(head),
                        "HTTP/1.1 %d %.*s\r\nServer: Flashstor\r\nConnection: close\r\n"
                        "Content-Type: %.*s\r\nContent-Length: %zu\r\n\r\n",
                        status, static_cast<int>(reason.size()), reason.data(),
                        static_cast<int>(content_type.size()), content_type.data(), body.size());
  if (n <= 0 || static_cast<size_t>(n) >= sizeof(head)) return;
  if (tls != nullptr) {
    std::string all(head, static_cast<size_t>(n));
    all.append(body);
    (void)tls->write(all);
    (void)tls->shutdown();
    return;
  }
  iovec iov[2] = {{head, static_cast<size_t>(n)}, {const_cast<char*>(body.data()), body.size()}};
  msghdr msg{};
  msg.msg_iov = iov;
  msg.msg_iovlen = body.empty() ? 1 : 2;
  (void)::sendmsg(fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
}

}  // namespace flashstor::net
