// Socket-activation probe: prints the fds and names received through ListenFds(), then
// answers a pending connection on each with that socket's name (proves the fd is live).
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>

#include "flashstor/sys/systemd.h"

int main() {
  auto fds = flashstor::sys::ListenFds();
  if (!fds) {
    std::fprintf(stderr, "ListenFds failed: %.*s\n", static_cast<int>(fds.error().message().size()),
                 fds.error().message().data());
    return 1;
  }
  std::printf("count=%zu\n", fds->size());
  for (const auto& l : *fds) std::printf("fd=%d name=%s\n", l.fd, l.name.c_str());
  std::fflush(stdout);
  // systemd-socket-activate starts us when a connection is pending on one of the sockets.
  for (const auto& l : *fds) fcntl(l.fd, F_SETFL, fcntl(l.fd, F_GETFL) | O_NONBLOCK);
  for (int round = 0; round < 50; ++round) {
    for (const auto& l : *fds) {
      const int c = accept4(l.fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (c < 0) continue;
      dprintf(c, "%s\n", l.name.c_str());
      close(c);
      return 0;
    }
    usleep(20000);
  }
  return 0;
}
