// InstallSeccompFilter: turns the compiled-in allowlist (hardening/seccomp-allowlist.txt)
// into a libseccomp filter, adding argument filters for the "@args" entries.
#include "flashstor/sys/seccomp.h"

#include <fcntl.h>
#include <sched.h>
#include <seccomp.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iterator>

#include "flashstor/obs/log.h"

namespace flashstor::sys {
namespace {

constexpr SyscallEntry kAllowlist[] = {
#include "flashstor/sys/seccomp_allowlist.inc"
};

// Flags that would put a new task in new namespaces; a thread never needs them.
constexpr uint64_t kNamespaceFlags = CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC |
                                     CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET;

class Filter {
 public:
  explicit Filter(uint32_t default_action) : ctx_(seccomp_init(default_action)) {}
  ~Filter() {
    if (ctx_ != nullptr) seccomp_release(ctx_);
  }
  Filter(const Filter&) = delete;
  Filter& operator=(const Filter&) = delete;
  scmp_filter_ctx get() const { return ctx_; }

 private:
  scmp_filter_ctx ctx_;
};

int Add(scmp_filter_ctx ctx, uint32_t action, int nr, std::initializer_list<scmp_arg_cmp> args) {
  return seccomp_rule_add_array(ctx, action, nr, static_cast<unsigned>(args.size()),
                                args.size() == 0 ? nullptr : args.begin());
}

// Allows nr when argument arg equals one of values.
int AllowValues(scmp_filter_ctx ctx, int nr, unsigned arg,
                std::initializer_list<scmp_datum_t> values) {
  for (scmp_datum_t v : values) {
    const int rc = Add(ctx, SCMP_ACT_ALLOW, nr, {SCMP_CMP(arg, SCMP_CMP_EQ, v)});
    if (rc < 0) return rc;
  }
  return 0;
}

// socket(): AF_UNIX, AF_INET, AF_INET6 allowed; every other family fails with EAFNOSUPPORT
// (same answer as systemd's RestrictAddressFamilies=), so a libc probe of AF_NETLINK does
// not kill the daemon.
int SocketRules(scmp_filter_ctx ctx, int nr) {
  int rc = AllowValues(ctx, nr, 0, {AF_UNIX, AF_INET, AF_INET6});
  const uint32_t refuse = SCMP_ACT_ERRNO(EAFNOSUPPORT);
  for (scmp_datum_t family = 0; rc == 0 && family < AF_INET6; ++family) {
    if (family == AF_UNIX || family == AF_INET) continue;
    rc = Add(ctx, refuse, nr, {SCMP_A0(SCMP_CMP_EQ, family)});
  }
  if (rc == 0) rc = Add(ctx, refuse, nr, {SCMP_A0(SCMP_CMP_GT, AF_INET6)});
  return rc;
}

// mmap/mprotect: any protection except writable-and-executable at once (prot is arg 2).
int NoWriteExecRules(scmp_filter_ctx ctx, int nr) {
  int rc = Add(ctx, SCMP_ACT_ALLOW, nr, {SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0)});
  if (rc == 0) rc = Add(ctx, SCMP_ACT_ALLOW, nr, {SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_WRITE, 0)});
  return rc;
}

// Argument rules for "@args" entries; -ENOENT when the allowlist names one we do not know.
int AddArgRules(scmp_filter_ctx ctx, std::string_view name, int nr) {
  if (name == "socket") return SocketRules(ctx, nr);
  if (name == "mmap" || name == "mprotect") return NoWriteExecRules(ctx, nr);
  if (name == "clone") {
    // Threads only: CLONE_THREAD set and no namespace flag (flags are arg 0 on x86_64 and
    // aarch64). fork() lacks CLONE_THREAD and is refused.
    return Add(ctx, SCMP_ACT_ALLOW, nr,
               {SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD | kNamespaceFlags, CLONE_THREAD)});
  }
  if (name == "ioctl") return AllowValues(ctx, nr, 1, {FIONREAD, FIONBIO, TCGETS});
  if (name == "prctl") return AllowValues(ctx, nr, 0, {PR_SET_NAME, PR_GET_NAME});
  if (name == "tgkill") {
    return AllowValues(ctx, nr, 0, {static_cast<scmp_datum_t>(getpid())});
  }
  if (name == "prlimit64") return AllowValues(ctx, nr, 2, {0});  // read-only use
  return -ENOENT;
}

Status AddEntry(scmp_filter_ctx ctx, const SyscallEntry& e) {
  const int nr = seccomp_syscall_resolve_name(e.name);
  if (nr == __NR_SCMP_ERROR) {
    obs::Log(obs::Level::kError, "seccomp: unknown syscall in allowlist", {{"SYSCALL", e.name}});
    return Status(Code::kInternal, "seccomp: unknown syscall in allowlist");
  }
  int rc = 0;
  switch (e.rule) {
    case SyscallRule::kAllow:
      rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
      break;
    case SyscallRule::kEnosys:
      rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), nr, 0);
      break;
    case SyscallRule::kArgs:
      rc = AddArgRules(ctx, e.name, nr);
      break;
  }
  if (rc < 0) {
    obs::Log(obs::Level::kError, "seccomp: cannot add rule",
             {{"SYSCALL", e.name}, {"ERRNO", strerror(-rc)}});
    return Status(Code::kInternal, "seccomp: cannot add rule", -rc);
  }
  return Status::Ok();
}

Status Build(const Filter& filter, SeccompMode mode) {
  scmp_filter_ctx ctx = filter.get();
  if (ctx == nullptr) return Status(Code::kInternal, "seccomp_init failed");
  // The kernel audits a kill whatever the filter asks. Logging the other actions too
  // (SECCOMP_FILTER_FLAG_LOG) is for the log-only mode, whose point is to list what the
  // allowlist would refuse. In enforce mode it would log every planned ENOSYS answer: glibc
  // tries clone3 first at every thread creation (see the allowlist), so each new thread wrote
  // an audit record, and the audit log filled with noise that hides real events.
  if (mode == SeccompMode::kLogOnly && seccomp_attr_set(ctx, SCMP_FLTATR_CTL_LOG, 1) != 0) {
    return Status(Code::kInternal, "seccomp: kernel cannot log filter actions");
  }
  if (int rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1); rc != 0) {
    return Status(Code::kInternal, "seccomp: cannot set TSYNC", -rc);
  }
  for (const SyscallEntry& e : kAllowlist) FS_RETURN_IF_ERROR(AddEntry(ctx, e));
  return Status::Ok();
}

uint32_t DefaultAction(SeccompMode mode) {
  return mode == SeccompMode::kEnforce ? SCMP_ACT_KILL_PROCESS : SCMP_ACT_LOG;
}

}  // namespace

std::span<const SyscallEntry> SeccompAllowlist() {
  return kAllowlist;
}

Status ValidateSeccompFilter() {
  Filter filter(SCMP_ACT_KILL_PROCESS);
  return Build(filter, SeccompMode::kEnforce);
}

Status InstallSeccompFilter(SeccompMode mode) {
  Filter filter(DefaultAction(mode));
  FS_RETURN_IF_ERROR(Build(filter, mode));
  if (int rc = seccomp_load(filter.get()); rc != 0) {
    return Status(Code::kInternal, "seccomp_load failed", -rc);
  }
  obs::Log(obs::Level::kNotice, "seccomp filter installed",
           {{"SECCOMP_MODE", mode == SeccompMode::kEnforce ? "enforce" : "log"}});
  return Status::Ok();
}

}  // namespace flashstor::sys
