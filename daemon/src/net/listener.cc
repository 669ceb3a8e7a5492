// BindListener: address parsing and listening-socket set-up (SO_REUSEADDR, non-blocking).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <string>

#include "flashstor/net/http_server.h"

namespace flashstor::net {

Result<int> BindListener(std::string_view address, int backlog) {
  size_t colon = address.rfind(':');
  if (colon == std::string_view::npos) return Err(Code::kInvalidArgument, "address needs :port");
  std::string host(address.substr(0, colon));
  std::string_view port_text = address.substr(colon + 1);
  int port = -1;
  auto [ptr, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || ptr != port_text.data() + port_text.size() || port < 0 || port > 65535) {
    return Err(Code::kInvalidArgument, "invalid port");
  }
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  sockaddr_storage ss{};
  socklen_t len = 0;
  int family = AF_INET;
  if (host.empty() || host == "0.0.0.0") {
    auto* sin = reinterpret_cast<sockaddr_in*>(&ss);
    sin->sin_family = AF_INET;
    sin->sin_addr.s_addr = htonl(INADDR_ANY);
    sin->sin_port = htons(static_cast<uint16_t>(port));
    len = sizeof(*sin);
  } else if (host.find(':') != std::string::npos) {
    auto* sin6 = reinterpret_cast<sockaddr_in6*>(&ss);
    family = AF_INET6;
    sin6->sin6_family = AF_INET6;
    if (inet_pton(AF_INET6, host.c_str(), &sin6->sin6_addr) != 1) {
      return Err(Code::kInvalidArgument, "invalid IPv6 address");
    }
    sin6->sin6_port = htons(static_cast<uint16_t>(port));
    len = sizeof(*sin6);
  } else {
    auto* sin = reinterpret_cast<sockaddr_in*>(&ss);
    sin->sin_family = AF_INET;
    if (host == "localhost") host = "127.0.0.1";
    if (inet_pton(AF_INET, host.c_str(), &sin->sin_addr) != 1) {
      return Err(Code::kInvalidArgument, "invalid IPv4 address (use a numeric address)");
    }
    sin->sin_port = htons(static_cast<uint16_t>(port));
    len = sizeof(*sin);
  }
  int fd = ::socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return std::unexpected(StatusFromErrno(errno, "socket"));
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (::bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0) {
    int err = errno;
    ::close(fd);
    return Err(err == EADDRINUSE ? Code::kAlreadyExists : Code::kPermissionDenied,
               err == EADDRINUSE ? "address already in use" : "cannot bind address", err);
  }
  if (::listen(fd, backlog) != 0) {
    int err = errno;
    ::close(fd);
    return std::unexpected(StatusFromErrno(err, "listen"));
  }
  return fd;
}

int LocalPort(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof(ss);
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return -1;
  if (ss.ss_family == AF_INET) return ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
  if (ss.ss_family == AF_INET6) return ntohs(reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port);
  return -1;
}

}  // namespace flashstor::net
