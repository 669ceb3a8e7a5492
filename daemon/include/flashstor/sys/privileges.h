// Privilege drop at start-up: switch to the run user/group, drop every capability, set
// NO_NEW_PRIVS and prove root cannot be regained; plus a /proc view of the result for logs.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "flashstor/common/status.h"

namespace flashstor::sys {

struct PrivilegeOptions {
  // From the config file (run_user/run_group). The environment overrides them:
  // FLASHSTORE_RUN_USER / FLASHSTORE_RUN_GROUP (product spelling), or FLASHSTOR_RUN_USER /
  // FLASHSTOR_RUN_GROUP; both spellings set to different values is an error.
  // Names or numeric ids. An empty group means the user's primary group.
  std::string run_user;
  std::string run_group;
  // --allow-root: without a run user, a process started as root refuses to serve unless
  // this is set. With it the uid stays 0 but every capability is still dropped.
  bool allow_root = false;
};

// Contract: call once, from the main thread, BEFORE any other thread exists (capabilities and
// NO_NEW_PRIVS are per thread; the call fails if /proc/self/status shows Threads > 1), after
// binding sockets and reading TLS material, before InstallSeccompFilter().
// Started as root: resolves the identity (NSS), clears ambient caps, empties the bounding set
// (needs CAP_SETPCAP, so before the uid change), setgroups({gid}), setresgid, setresuid,
// clears effective/permitted/inheritable caps, sets PR_SET_NO_NEW_PRIVS, then verifies that
// setresuid(0,0,0) fails and uids/gids/caps are as intended. Started as a non-root user (the
// systemd unit's User=flashstor): the run user, if any, must be that user; caps are cleared,
// NO_NEW_PRIVS set; a bounding set it cannot empty (no CAP_SETPCAP) is logged, not fatal,
// since NO_NEW_PRIVS with empty permitted caps means no capability can be gained.
// Errors: kPermissionDenied (root without allow_root, or a switch needing root), kNotFound
// (unknown user/group), kInvalidArgument (conflicting env), kInternal (a step or the
// verification failed; the process must exit). Details are logged through obs::Log.
Status DropPrivileges(const PrivilegeOptions& options);

// Process credentials and confinement as the kernel reports them in /proc/self/status.
struct PrivilegeState {
  uid_t uid[4] = {};  // real, effective, saved, filesystem
  gid_t gid[4] = {};
  uint64_t cap_inh = 0, cap_prm = 0, cap_eff = 0, cap_bnd = 0, cap_amb = 0;
  int no_new_privs = -1;  // -1 when the kernel does not report it
  int seccomp = -1;       // 0 off, 1 strict, 2 filter
  int threads = -1;
};

// Reads /proc/self/status. Safe after the seccomp filter is installed (openat/read).
Result<PrivilegeState> ReadPrivilegeState();
// Parses the text of a /proc/<pid>/status file (exposed for tests).
Result<PrivilegeState> ParsePrivilegeState(std::string_view status_text);
// One line for the start-up log: "uid=999 gid=999 cap_eff=0 ... nnp=1 seccomp=2".
std::string FormatPrivilegeState(const PrivilegeState& state);

}  // namespace flashstor::sys
