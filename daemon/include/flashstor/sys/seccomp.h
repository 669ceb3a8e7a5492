// The daemon's seccomp allowlist (libseccomp). The syscall list lives in
// hardening/seccomp-allowlist.txt and is compiled in, so the file is the one source of truth.
#pragma once

#include <span>

#include "flashstor/common/status.h"

namespace flashstor::sys {

// How an allowlist entry is applied (the token after the name in the .txt file).
enum class SyscallRule {
  kAllow,   // plain name: allowed with any arguments
  kArgs,    // "@args": allowed only with the argument filters in seccomp.cc
  kEnosys,  // "@enosys": fails with ENOSYS so libc falls back (clone3 -> filtered clone)
};

struct SyscallEntry {
  const char* name;
  SyscallRule rule;
};

enum class SeccompMode {
  kEnforce,  // anything not allowed kills the whole process (SIGSYS), logged by the kernel
  kLogOnly,  // anything not allowed is allowed but logged (audit SECCOMP records): debugging
};

// The compiled-in allowlist, in file order.
std::span<const SyscallEntry> SeccompAllowlist();

// Builds the filter without loading it: every name must be known to libseccomp and every
// @args entry must have an argument rule. kInternal on the first problem.
Status ValidateSeccompFilter();

// Builds and loads the filter: default action KILL_PROCESS (kEnforce; the kernel audits each
// kill), or LOG with SCMP_FLTATR_CTL_LOG (kLogOnly: every non-allow action audited); native
// architecture only, TSYNC so every thread gets it,
// NO_NEW_PRIVS set by libseccomp. Irreversible. Call after DropPrivileges() and after anything
// that needs a syscall outside the list (NSS look-ups, binding sockets, AuditInit()).
// Socket families other than AF_UNIX/AF_INET/AF_INET6 fail with EAFNOSUPPORT rather than
// killing, because glibc's resolver probes AF_NETLINK and copes with the error.
Status InstallSeccompFilter(SeccompMode mode = SeccompMode::kEnforce);

}  // namespace flashstor::sys
