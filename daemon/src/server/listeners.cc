// OpenListeners: socket activation first (selected by FileDescriptorName, never by order,
// which differs between boots), else bind each configured address.
#include "flashstor/server/listeners.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "flashstor/net/http_server.h"
#include "flashstor/obs/log.h"
#include "flashstor/sys/systemd.h"

namespace flashstor::server {
namespace {

std::string DisplayAddress(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof(ss);
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return "?";
  char host[INET6_ADDRSTRLEN] = "?";
  if (ss.ss_family == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(&ss)->sin_addr, host, sizeof(host));
    return std::string(host) + ":" + std::to_string(net::LocalPort(fd));
  }
  inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(&ss)->sin6_addr, host, sizeof(host));
  return "[" + std::string(host) + "]:" + std::to_string(net::LocalPort(fd));
}

}  // namespace

Result<std::vector<BoundListener>> OpenListeners(const std::vector<config::Listener>& listen,
                                                 bool have_tls) {
  std::vector<BoundListener> out;
  Result<std::vector<sys::ListenFd>> activated = sys::ListenFds();
  if (!activated) return std::unexpected(activated.error());
  if (!activated->empty()) {
    for (const sys::ListenFd& l : *activated) {
      bool tls = l.name == "https";
      if (l.name != "http" && l.name != "https") {
        obs::Log(obs::Level::kWarning, "ignoring activated socket with unknown name",
                 {{"SOCKET_NAME", l.name}});
        ::close(l.fd);
        continue;
      }
      if (tls && !have_tls) {
        obs::Log(obs::Level::kError, "https socket activated but no --certs-dir; not serving it");
        ::close(l.fd);
        continue;
      }
      // systemd hands sockets over in blocking mode; the event loops accept until EAGAIN,
      // which on a blocking socket would stall the loop after the first connection.
      const int flags = ::fcntl(l.fd, F_GETFL);
      if (flags < 0 || ::fcntl(l.fd, F_SETFL, flags | O_NONBLOCK) < 0) {
        for (const BoundListener& b : out) ::close(b.fd);
        return Err(Code::kInternal, "cannot make an activated socket non-blocking", errno);
      }
      out.push_back({l.fd, tls, DisplayAddress(l.fd)});
    }
    if (out.empty()) return Err(Code::kInvalidArgument, "no usable activated socket (http/https)");
    return out;
  }
  for (const config::Listener& l : listen) {
    std::string address = l.address.starts_with(":") ? "0.0.0.0" + l.address : l.address;
    Result<int> fd = net::BindListener(address, 4096);
    if (!fd) {
      obs::Log(obs::Level::kError, "cannot listen", {{"ADDRESS", l.address}});
      for (const BoundListener& b : out) ::close(b.fd);
      return std::unexpected(fd.error());
    }
    out.push_back({*fd, l.tls, DisplayAddress(*fd)});
  }
  return out;
}

}  // namespace flashstor::server
