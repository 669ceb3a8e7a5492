// A connection's peer address: kept compact from accept() on, and made text when a request
// starts (logs, audit records, the per-address request share, aws:SourceIp).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdio>
#include <cstring>

#include "connection.h"

namespace flashstor::net {

PeerAddress PeerFromSockaddr(const void* sockaddr_storage) {
  PeerAddress p;
  const auto* sa = static_cast<const sockaddr*>(sockaddr_storage);
  if (sa->sa_family == AF_INET) {
    const auto* sin = static_cast<const sockaddr_in*>(sockaddr_storage);
    p.family = AF_INET;
    p.port = ntohs(sin->sin_port);
    std::memcpy(p.bytes, &sin->sin_addr, sizeof(sin->sin_addr));
  } else if (sa->sa_family == AF_INET6) {
    const auto* sin6 = static_cast<const sockaddr_in6*>(sockaddr_storage);
    p.family = AF_INET6;
    p.port = ntohs(sin6->sin6_port);
    std::memcpy(p.bytes, &sin6->sin6_addr, sizeof(sin6->sin6_addr));
  }
  return p;
}

void FormatPeer(const PeerAddress& peer, char (&out)[64]) {
  char host[INET6_ADDRSTRLEN] = "?";
  if (peer.family == AF_INET || peer.family == AF_INET6) {
    if (inet_ntop(peer.family, peer.bytes, host, sizeof(host)) == nullptr) std::strcpy(host, "?");
  }
  std::snprintf(out, sizeof(out), "%s:%d", host, static_cast<int>(peer.port));
}

}  // namespace flashstor::net
