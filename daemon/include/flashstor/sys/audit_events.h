// Security events for the kernel audit trail (libaudit), always mirrored to the journal.
// Degrades to journal-only when the audit socket is unavailable (not root, no CAP_AUDIT_WRITE,
// container, kernel without audit): that is logged once and never fails the caller.
#pragma once

#include <string_view>

namespace flashstor::sys {

enum class SecurityEvent {
  kServiceStart,    // daemon serving (after privilege drop + seccomp)
  kServiceStop,     // orderly shutdown
  kPrivilegeDrop,   // run identity taken, capabilities dropped
  kAuthFailure,     // bad signature, unknown access key, expired token
  kAccessDenied,    // authenticated but refused by policy
  kConfigChange,    // users, policies or settings changed through the API
  kPolicyViolation  // anything else an auditor should see (e.g. path traversal attempt)
};

// Opens the kernel audit netlink socket. Call once at start-up, BEFORE InstallSeccompFilter()
// (the filter refuses AF_NETLINK sockets) and before DropPrivileges() (sending needs
// CAP_AUDIT_WRITE, so under the appliance's empty capability set events end up journal-only;
// kernel audit still records the process's seccomp kills and config-file watches).
void AuditInit();

// Records one event: to journald/stderr via obs::Log (fields SECURITY_EVENT, SECURITY_RESULT)
// and, while the audit socket works, as an AUDIT_USER_AUTH / AUDIT_USYS_CONFIG /
// AUDIT_TRUSTED_APP record whose text is hex-encoded by libaudit when it needs quoting.
// text must not contain secrets. Thread-safe; kernel records limited to 100 per second.
void LogSecurityEvent(SecurityEvent kind, std::string_view text, bool success = false);

// Name used in logs ("auth-failure").
std::string_view SecurityEventName(SecurityEvent kind);

// Closes the audit socket (tests; the daemon may simply exit).
void AuditClose();

// True while kernel audit records are being sent (tests and start-up log).
bool AuditAvailable();

}  // namespace flashstor::sys
