// PeerHost: the address part of a peer's "ip:port" or "[ip6]:port", as the audit log's
// source_ip and the policies' aws:SourceIp see it.
#pragma once

#include <string_view>

namespace flashstor {

// "10.1.2.3" of "10.1.2.3:5000", "::1" of "[::1]:5000"; a string without a port is returned
// as it is.
inline std::string_view PeerHost(std::string_view remote) {
  if (remote.starts_with('[')) {
    size_t close = remote.find(']');
    return close == std::string_view::npos ? remote.substr(1) : remote.substr(1, close - 1);
  }
  size_t colon = remote.rfind(':');
  return colon == std::string_view::npos ? remote : remote.substr(0, colon);
}

}  // namespace flashstor
