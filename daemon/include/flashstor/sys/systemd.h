// systemd integration over libsystemd: readiness/status notifications, the watchdog
// interval, and listening sockets handed over by socket activation.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "flashstor/common/status.h"

namespace flashstor::sys {

// Each Notify* returns true when the message was sent, false when NOTIFY_SOCKET is unset
// (not started by systemd: not an error), or an error (kUnavailable, errno set) when sending
// failed. Thread-safe; usable after InstallSeccompFilter() (socket AF_UNIX, sendmsg, close).
// Status text is bounded to 200 bytes and newlines become spaces, so a caller cannot inject
// other assignments (a "\nREADY=1" in a status must not announce readiness).
Result<bool> NotifyReady(std::string_view status);
Result<bool> NotifyStatus(std::string_view status);
Result<bool> NotifyStopping();
Result<bool> NotifyWatchdog();  // WATCHDOG=1; prefer WatchdogMonitor

// The service manager's watchdog period (WatchdogSec=) for this process; zero when disabled.
// Ping at half of it. kInvalidArgument when WATCHDOG_USEC is malformed.
Result<std::chrono::microseconds> WatchdogInterval();

struct ListenFd {
  int fd = -1;
  std::string name;  // FileDescriptorName= of the socket unit ("https", "http"); "unknown" if unset
};

// Sockets passed by systemd (LISTEN_FDS/LISTEN_PID/LISTEN_FDNAMES), marked FD_CLOEXEC, and
// the variables removed so children do not inherit them. Empty when not socket-activated.
// Every fd must be a listening stream socket (kInvalidArgument otherwise, message names the
// problem). Call once, before InstallSeccompFilter() (needs getsockopt/fstat only, but the
// caller should take ownership early). The caller owns the returned fds.
Result<std::vector<ListenFd>> ListenFds();

}  // namespace flashstor::sys
