// Listening sockets for the daemon: taken from systemd socket activation by name ("http",
// "https") when present, otherwise bound from the configured addresses (while still root, so
// privileged ports work without CAP_NET_BIND_SERVICE later).
#pragma once

#include <string>
#include <vector>

#include "flashstor/common/status.h"
#include "flashstor/config/config.h"

namespace flashstor::server {

struct BoundListener {
  int fd = -1;
  bool tls = false;
  std::string display;  // "127.0.0.1:9000" with the real port (for port 0)
};

// have_tls: a TLS context is loaded; TLS sockets without one are an error.
Result<std::vector<BoundListener>> OpenListeners(const std::vector<config::Listener>& listen,
                                                 bool have_tls);

}  // namespace flashstor::server
