// LogSecurityEvent: journal record always, kernel audit record (libaudit) while the audit
// socket opened at start-up keeps working; the first failure is logged once, then ignored.
#include "flashstor/sys/audit_events.h"

#include <libaudit.h>
#include <time.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>

#include "flashstor/obs/log.h"

namespace flashstor::sys {
namespace {

constexpr int kMaxKernelRecordsPerSecond = 100;
constexpr size_t kMaxText = 512;

std::mutex g_mu;  // one netlink conversation (send + ack) at a time
int g_fd = -1;
bool g_failure_logged = false;
time_t g_window = 0;
int g_in_window = 0;

void DisableLocked(const char* why, int err) {
  if (g_fd >= 0) audit_close(g_fd);
  g_fd = -1;
  if (g_failure_logged) return;
  g_failure_logged = true;
  obs::Log(obs::Level::kNotice, "kernel audit unavailable: security events go to the journal only",
           {{"REASON", why}, {"ERRNO", std::strerror(err)}});
}

int AuditType(SecurityEvent kind) {
  switch (kind) {
    case SecurityEvent::kAuthFailure:
      return AUDIT_USER_AUTH;
    case SecurityEvent::kConfigChange:
      return AUDIT_USYS_CONFIG;
    default:
      return AUDIT_TRUSTED_APP;
  }
}

bool TakeRateToken() {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC_COARSE, &now);
  if (now.tv_sec != g_window) {
    g_window = now.tv_sec;
    g_in_window = 0;
  }
  return ++g_in_window <= kMaxKernelRecordsPerSecond;
}

void SendKernelRecord(SecurityEvent kind, const std::string& text, bool success) {
  std::lock_guard<std::mutex> lock(g_mu);
  if (g_fd < 0 || !TakeRateToken()) return;
  // op=<kind> detail=<text>, with text hex-encoded by libaudit when it has spaces or quotes.
  char* detail = audit_encode_nv_string("detail", text.c_str(), 0);
  if (detail == nullptr) return;
  std::string message = "op=flashstor-";
  message += SecurityEventName(kind);
  message += ' ';
  message += detail;
  std::free(detail);
  const int rc = audit_log_user_message(g_fd, AuditType(kind), message.c_str(), nullptr, nullptr,
                                        nullptr, success ? 1 : 0);
  if (rc <= 0) DisableLocked("sending to the audit socket failed", errno);
}

}  // namespace

std::string_view SecurityEventName(SecurityEvent kind) {
  switch (kind) {
    case SecurityEvent::kServiceStart:
      return "service-start";
    case SecurityEvent::kServiceStop:
      return "service-stop";
    case SecurityEvent::kPrivilegeDrop:
      return "privilege-drop";
    case SecurityEvent::kAuthFailure:
      return "auth-failure";
    case SecurityEvent::kAccessDenied:
      return "access-denied";
    case SecurityEvent::kConfigChange:
      return "config-change";
    case SecurityEvent::kPolicyViolation:
      return "policy-violation";
  }
  return "unknown";
}

void AuditInit() {
  std::lock_guard<std::mutex> lock(g_mu);
  if (g_fd >= 0) return;
  const int fd = audit_open();  // EPROTONOSUPPORT/EINVAL/EAFNOSUPPORT without kernel audit
  if (fd < 0) {
    DisableLocked("cannot open the audit socket", errno);
    return;
  }
  g_fd = fd;
  g_window = 0;
  g_in_window = 0;
}

void AuditClose() {
  std::lock_guard<std::mutex> lock(g_mu);
  if (g_fd >= 0) audit_close(g_fd);
  g_fd = -1;
  g_failure_logged = false;
}

bool AuditAvailable() {
  std::lock_guard<std::mutex> lock(g_mu);
  return g_fd >= 0;
}

void LogSecurityEvent(SecurityEvent kind, std::string_view text, bool success) {
  const std::string bounded(text.substr(0, kMaxText));
  const bool failure = !success;
  obs::Log(failure ? obs::Level::kWarning : obs::Level::kNotice, bounded,
           {{"SECURITY_EVENT", SecurityEventName(kind)},
            {"SECURITY_RESULT", success ? "success" : "failure"}});
  SendKernelRecord(kind, bounded, success);
}

}  // namespace flashstor::sys
