// sd_notify / sd_watchdog_enabled / sd_listen_fds_with_names wrappers with bounded,
// sanitised status text and clear errors for inherited sockets.
#include "flashstor/sys/systemd.h"

#include <sys/socket.h>
#include <systemd/sd-daemon.h>

#include <cstdlib>
#include <cstring>

#include "flashstor/obs/log.h"

namespace flashstor::sys {
namespace {

constexpr size_t kMaxStatus = 200;

// Appends "STATUS=<text>" with control characters replaced, bounded.
void AppendStatus(std::string& msg, std::string_view text) {
  msg += "STATUS=";
  for (char c : text.substr(0, kMaxStatus)) {
    msg.push_back(static_cast<unsigned char>(c) < 0x20 || c == 0x7f ? ' ' : c);
  }
}

Result<bool> Send(const std::string& msg) {
  const int rc = sd_notify(0, msg.c_str());
  if (rc < 0) return Err(Code::kUnavailable, "sd_notify failed", -rc);
  return rc > 0;
}

}  // namespace

Result<bool> NotifyReady(std::string_view status) {
  std::string msg = "READY=1\n";
  AppendStatus(msg, status);
  return Send(msg);
}

Result<bool> NotifyStatus(std::string_view status) {
  std::string msg;
  AppendStatus(msg, status);
  return Send(msg);
}

Result<bool> NotifyStopping() {
  return Send("STOPPING=1");
}

Result<bool> NotifyWatchdog() {
  return Send("WATCHDOG=1");
}

Result<std::chrono::microseconds> WatchdogInterval() {
  uint64_t usec = 0;
  const int rc = sd_watchdog_enabled(0, &usec);
  if (rc < 0) return Err(Code::kInvalidArgument, "WATCHDOG_USEC/WATCHDOG_PID malformed", -rc);
  if (rc == 0) return std::chrono::microseconds(0);
  return std::chrono::microseconds(usec);
}

Result<std::vector<ListenFd>> ListenFds() {
  char** names = nullptr;
  const int n = sd_listen_fds_with_names(1, &names);
  if (n < 0) {
    return Err(Code::kInvalidArgument, "LISTEN_FDS/LISTEN_FDNAMES from systemd are malformed", -n);
  }
  std::vector<ListenFd> fds;
  Status error;
  for (int i = 0; i < n; ++i) {
    ListenFd l;
    l.fd = SD_LISTEN_FDS_START + i;
    l.name = names != nullptr && names[i] != nullptr ? names[i] : "unknown";
    if (error.ok() && sd_is_socket(l.fd, AF_UNSPEC, SOCK_STREAM, 1) <= 0) {
      obs::Log(obs::Level::kError, "inherited fd is not a listening stream socket",
               {{"FD_NAME", l.name}});
      error = Status(Code::kInvalidArgument, "an inherited fd is not a listening stream socket");
    }
    fds.push_back(std::move(l));
  }
  if (names != nullptr) {
    for (int i = 0; i < n; ++i) std::free(names[i]);
    std::free(names);
  }
  if (!error.ok()) return std::unexpected(error);
  return fds;
}

}  // namespace flashstor::sys
