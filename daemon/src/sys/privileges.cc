// DropPrivileges: resolve the run identity, empty the capability bounding set, switch
// uid/gid, clear all capability sets, set NO_NEW_PRIVS and verify root is gone for good.
#include "flashstor/sys/privileges.h"

#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <vector>

#include "flashstor/obs/log.h"

namespace flashstor::sys {
namespace {

struct Identity {
  uid_t uid = 0;
  gid_t gid = 0;
  bool switch_ids = false;  // false: keep the current ids (already the run user, or root)
};

// Value of the product spelling (FLASHSTORE_*) or the short one (FLASHSTOR_*); empty if
// neither is set; an error if both are set and differ.
Result<std::string> EnvSetting(const char* product, const char* alt) {
  const char* a = std::getenv(product);
  const char* b = std::getenv(alt);
  if (a != nullptr && b != nullptr && std::strcmp(a, b) != 0) {
    obs::Log(obs::Level::kError, "conflicting run identity in the environment",
             {{"VARIABLE", product}, {"OTHER_VARIABLE", alt}});
    return Err(Code::kInvalidArgument, "FLASHSTORE_RUN_* and FLASHSTOR_RUN_* disagree");
  }
  return std::string(a != nullptr ? a : (b != nullptr ? b : ""));
}

std::optional<uint32_t> NumericId(const std::string& s) {
  uint32_t v = 0;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || ptr != s.data() + s.size() || v == UINT32_MAX) {
    return std::nullopt;
  }
  return v;
}

std::vector<char> NssBuffer() {
  return std::vector<char>(64 * 1024);
}

Status LookupUser(const std::string& name, Identity& id) {
  passwd pw{};
  passwd* found = nullptr;
  std::vector<char> buf = NssBuffer();
  const int rc = getpwnam_r(name.c_str(), &pw, buf.data(), buf.size(), &found);
  if (found != nullptr) {
    id.uid = pw.pw_uid;
    id.gid = pw.pw_gid;
    return Status::Ok();
  }
  if (auto n = NumericId(name)) {  // a bare uid without a passwd entry: gid defaults to it
    id.uid = *n;
    id.gid = *n;
    return Status::Ok();
  }
  obs::Log(obs::Level::kError, "run user not found", {{"RUN_USER", name}});
  return Status(Code::kNotFound, "run user not found", rc);
}

Status LookupGroup(const std::string& name, gid_t& gid) {
  group gr{};
  group* found = nullptr;
  std::vector<char> buf = NssBuffer();
  const int rc = getgrnam_r(name.c_str(), &gr, buf.data(), buf.size(), &found);
  if (found != nullptr) {
    gid = gr.gr_gid;
    return Status::Ok();
  }
  if (auto n = NumericId(name)) {
    gid = *n;
    return Status::Ok();
  }
  obs::Log(obs::Level::kError, "run group not found", {{"RUN_GROUP", name}});
  return Status(Code::kNotFound, "run group not found", rc);
}

Result<Identity> Resolve(const PrivilegeOptions& opt) {
  auto env_user = EnvSetting("FLASHSTORE_RUN_USER", "FLASHSTOR_RUN_USER");
  if (!env_user) return std::unexpected(env_user.error());
  auto env_group = EnvSetting("FLASHSTORE_RUN_GROUP", "FLASHSTOR_RUN_GROUP");
  if (!env_group) return std::unexpected(env_group.error());
  const std::string user = !env_user->empty() ? *env_user : opt.run_user;
  const std::string grp = !env_group->empty() ? *env_group : opt.run_group;

  Identity id;
  uid_t r = 0, e = 0, s = 0;
  getresuid(&r, &e, &s);
  const bool is_root = r == 0 || e == 0 || s == 0;
  if (user.empty()) {
    if (!grp.empty()) return Err(Code::kInvalidArgument, "run group given without a run user");
    if (is_root && !opt.allow_root) {
      obs::Log(obs::Level::kError,
               "refusing to run as root: set FLASHSTORE_RUN_USER (or run_user in the config) "
               "to an unprivileged user, or pass --allow-root");
      return Err(Code::kPermissionDenied, "refusing to run as root without --allow-root");
    }
    id.uid = is_root ? 0 : e;
    id.gid = getegid();
    id.switch_ids = is_root;  // root with --allow-root: drop supplementary groups
    return id;
  }
  if (Status st = LookupUser(user, id); !st.ok()) return std::unexpected(st);
  if (!grp.empty()) {
    if (Status st = LookupGroup(grp, id.gid); !st.ok()) return std::unexpected(st);
  }
  if (id.uid == 0 && !opt.allow_root) {
    obs::Log(obs::Level::kError, "refusing to run as root: the run user is root",
             {{"RUN_USER", user}});
    return Err(Code::kPermissionDenied, "run user is root and --allow-root is not set");
  }
  id.switch_ids = is_root;
  if (!is_root && (id.uid != e || id.uid != r || id.uid != s || id.gid != getegid())) {
    obs::Log(obs::Level::kError, "cannot switch to the run user without root",
             {{"RUN_USER", user}});
    return Err(Code::kPermissionDenied, "switching to the run user needs root");
  }
  return id;
}

bool HaveEffectiveCap(cap_value_t cap) {
  cap_t caps = cap_get_proc();
  if (caps == nullptr) return false;
  cap_flag_value_t v = CAP_CLEAR;
  cap_get_flag(caps, cap, CAP_EFFECTIVE, &v);
  cap_free(caps);
  return v == CAP_SET;
}

// Empties the bounding set; returns false (not an error) when CAP_SETPCAP is missing.
Result<bool> DropBoundingSet() {
  if (!HaveEffectiveCap(CAP_SETPCAP)) return false;
  const int last = static_cast<int>(cap_max_bits());  // the running kernel's count
  for (int c = 0; c < last; ++c) {
    if (cap_get_bound(static_cast<cap_value_t>(c)) != 1) continue;
    if (cap_drop_bound(static_cast<cap_value_t>(c)) != 0) {
      return Err(Code::kInternal, "cannot drop a capability from the bounding set", errno);
    }
  }
  return true;
}

Status SwitchIds(const Identity& id) {
  if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) != 0) {
    return Status(Code::kInternal, "PR_SET_KEEPCAPS failed", errno);
  }
  if (setgroups(1, &id.gid) != 0) return Status(Code::kInternal, "setgroups failed", errno);
  if (setresgid(id.gid, id.gid, id.gid) != 0) {
    return Status(Code::kInternal, "setresgid failed", errno);
  }
  if (setresuid(id.uid, id.uid, id.uid) != 0) {
    return Status(Code::kInternal, "setresuid failed", errno);
  }
  return Status::Ok();
}

Status ClearCapabilities() {
  // Ambient first: it is cleared anyway when permitted is, but say so explicitly. EINVAL
  // means a kernel without ambient capabilities (< 4.3), where there is nothing to clear.
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL) {
    return Status(Code::kInternal, "clearing ambient capabilities failed", errno);
  }
  cap_t empty = cap_init();  // effective, permitted, inheritable all clear
  cap_t current = cap_get_proc();
  if (empty == nullptr || current == nullptr) {
    cap_free(empty);
    cap_free(current);
    return Status(Code::kInternal, "cap_init/cap_get_proc failed", errno);
  }
  // Already empty (the unit's CapabilityBoundingSet= start): skip capset(2), which the unit's
  // SystemCallFilter=~@privileged answers with EPERM.
  int rc = 0;
  if (cap_compare(current, empty) != 0) rc = cap_set_proc(empty);
  const int err = errno;
  cap_free(empty);
  cap_free(current);
  if (rc != 0) return Status(Code::kInternal, "cap_set_proc failed", err);
  return Status::Ok();
}

Status Verify(const Identity& id, bool bounding_dropped) {
  if (id.uid != 0) {
    // The point of the exercise: root must be gone for good.
    if (setresuid(0, 0, 0) == 0 || errno != EPERM) {
      return Status(Code::kInternal, "setresuid(0) did not fail: root can be regained");
    }
    if (id.gid != 0 && setresgid(0, 0, 0) == 0) {
      return Status(Code::kInternal, "setresgid(0) did not fail: gid 0 can be regained");
    }
  }
  uid_t r = 0, e = 0, s = 0;
  gid_t rg = 0, eg = 0, sg = 0;
  if (getresuid(&r, &e, &s) != 0 || r != id.uid || e != id.uid || s != id.uid) {
    return Status(Code::kInternal, "uids after the drop are not the run user");
  }
  if (getresgid(&rg, &eg, &sg) != 0 || rg != id.gid || eg != id.gid || sg != id.gid) {
    return Status(Code::kInternal, "gids after the drop are not the run group");
  }
  auto st = ReadPrivilegeState();
  if (!st) return st.error();
  if (st->cap_eff != 0 || st->cap_prm != 0 || st->cap_inh != 0 || st->cap_amb != 0) {
    return Status(Code::kInternal, "capabilities remain after the drop");
  }
  if (bounding_dropped && st->cap_bnd != 0) {
    return Status(Code::kInternal, "capability bounding set not empty after the drop");
  }
  if (st->no_new_privs != 1) return Status(Code::kInternal, "NO_NEW_PRIVS is not set");
  return Status::Ok();
}

}  // namespace

Status DropPrivileges(const PrivilegeOptions& options) {
  auto before = ReadPrivilegeState();
  if (!before) return before.error();
  if (before->threads > 1) {
    return Status(Code::kInternal, "DropPrivileges must run before any thread starts");
  }
  auto id = Resolve(options);
  if (!id) return id.error();

  auto bounding = DropBoundingSet();  // needs CAP_SETPCAP: before the uid change
  if (!bounding) return bounding.error();
  if (!*bounding && before->cap_bnd != 0) {
    obs::Log(obs::Level::kNotice,
             "capability bounding set left as is (no CAP_SETPCAP); NO_NEW_PRIVS keeps it "
             "unusable");
  }
  if (id->switch_ids) FS_RETURN_IF_ERROR(SwitchIds(*id));
  FS_RETURN_IF_ERROR(ClearCapabilities());
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
    return Status(Code::kInternal, "PR_SET_NO_NEW_PRIVS failed", errno);
  }
  FS_RETURN_IF_ERROR(Verify(*id, *bounding));

  auto after = ReadPrivilegeState();
  if (after) {
    const std::string line = FormatPrivilegeState(*after);
    obs::Log(obs::Level::kNotice, "privileges dropped", {{"PRIVILEGES", line}});
  }
  return Status::Ok();
}

}  // namespace flashstor::sys
