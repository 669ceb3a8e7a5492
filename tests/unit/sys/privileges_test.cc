// Privilege drop tests. Each case runs in a forked child (a drop is irreversible). Cases that
// switch users need root (CI runs as root) and are skipped with a message otherwise.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <grp.h>
#include <pwd.h>
#include <seccomp.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "flashstor/sys/privileges.h"

#include "cmocka_cpp.h"

using flashstor::Code;
using flashstor::Status;
using namespace flashstor::sys;

namespace {

// Child exit codes: 0 ok; 10 + Code for an unexpected DropPrivileges result; others per test.
template <typename Fn>
int RunChild(Fn fn) {
  fflush(nullptr);
  const pid_t pid = fork();
  if (pid == 0) {
    for (const char* v : {"FLASHSTORE_RUN_USER", "FLASHSTORE_RUN_GROUP", "FLASHSTOR_RUN_USER",
                          "FLASHSTOR_RUN_GROUP"}) {
      unsetenv(v);
    }
    _exit(fn());
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  assert_true(WIFEXITED(status));
  return WEXITSTATUS(status);
}

int ExpectCode(const Status& s, Code want) {
  if (s.code() == want) return 0;
  fprintf(stderr, "got code %d (%.*s), want %d\n", static_cast<int>(s.code()),
          static_cast<int>(s.message().size()), s.message().data(), static_cast<int>(want));
  return 10 + static_cast<int>(s.code());
}

bool SkipUnlessRoot() {
  if (geteuid() == 0) return false;
  print_message("skipped: switching users needs root (CI runs as root)\n");
  return true;
}

uid_t NobodyUid() {
  passwd* pw = getpwnam("nobody");
  return pw != nullptr ? pw->pw_uid : 65534;
}

// Checks everything a dropped process must show; returns 0 or a distinct failure code.
int CheckDropped(uid_t uid) {
  uid_t r, e, s;
  if (getresuid(&r, &e, &s) != 0 || r != uid || e != uid || s != uid) return 2;
  if (setresuid(0, 0, 0) == 0) return 3;
  auto st = ReadPrivilegeState();
  if (!st) return 4;
  if (st->cap_eff || st->cap_prm || st->cap_inh || st->cap_amb || st->cap_bnd) return 5;
  if (st->no_new_privs != 1) return 6;
  gid_t groups[4];
  if (getgroups(4, groups) != 1) return 7;  // only the run group remains
  return 0;
}

void test_parse_status_text(void**) {
  const char* text =
      "Name:\tflashstor\nThreads:\t3\nUid:\t999\t998\t997\t996\nGid:\t5\t6\t7\t8\n"
      "CapInh:\t0000000000000000\nCapPrm:\t0000000000000400\nCapEff:\t0000000000000400\n"
      "CapBnd:\t000001ffffffffff\nCapAmb:\t0000000000000000\nNoNewPrivs:\t1\nSeccomp:\t2\n";
  auto st = ParsePrivilegeState(text);
  assert_true(st.has_value());
  assert_int_equal(st->uid[0], 999);
  assert_int_equal(st->uid[3], 996);
  assert_int_equal(st->gid[2], 7);
  assert_int_equal(st->cap_eff, 0x400);
  assert_int_equal(st->cap_bnd, 0x1ffffffffffULL);
  assert_int_equal(st->no_new_privs, 1);
  assert_int_equal(st->seccomp, 2);
  assert_int_equal(st->threads, 3);
  const std::string line = FormatPrivilegeState(*st);
  assert_non_null(strstr(line.c_str(), "uid=999/998/997"));
  assert_non_null(strstr(line.c_str(), "cap_eff=400"));
  assert_non_null(strstr(line.c_str(), "seccomp=2"));

  assert_false(ParsePrivilegeState("Uid:\tx\n").has_value());
  assert_false(ParsePrivilegeState("Name:\tx\n").has_value());  // lacks Uid/Gid/CapEff
  assert_false(ParsePrivilegeState("Uid:\t1\t2\nGid:\t1\t1\t1\t1\nCapEff:\t0\n").has_value());
  assert_false(ParsePrivilegeState("").has_value());
}

void test_read_own_state(void**) {
  auto st = ReadPrivilegeState();
  assert_true(st.has_value());
  assert_int_equal(st->uid[0], getuid());
  assert_int_equal(st->gid[1], getegid());
  assert_true(st->threads >= 1);
}

void test_root_refused_without_run_user(void**) {
  if (SkipUnlessRoot()) return;
  assert_int_equal(RunChild([] { return ExpectCode(DropPrivileges({}), Code::kPermissionDenied); }),
                   0);
  assert_int_equal(RunChild([] {
                     PrivilegeOptions o;
                     o.run_user = "root";
                     return ExpectCode(DropPrivileges(o), Code::kPermissionDenied);
                   }),
                   0);
}

void test_drop_via_product_env(void**) {
  if (SkipUnlessRoot()) return;
  const uid_t nobody = NobodyUid();
  assert_int_equal(RunChild([nobody] {
                     setenv("FLASHSTORE_RUN_USER", "nobody", 1);
                     const Status s = DropPrivileges({});
                     if (!s.ok()) return ExpectCode(s, Code::kOk);
                     return CheckDropped(nobody);
                   }),
                   0);
}

void test_drop_via_alt_env_and_config(void**) {
  if (SkipUnlessRoot()) return;
  const uid_t nobody = NobodyUid();
  assert_int_equal(RunChild([nobody] {
                     setenv("FLASHSTOR_RUN_USER", "nobody", 1);
                     const Status s = DropPrivileges({});
                     return s.ok() ? CheckDropped(nobody) : ExpectCode(s, Code::kOk);
                   }),
                   0);
  group* g = getgrnam("nogroup");
  const gid_t nogroup = g != nullptr ? g->gr_gid : 65534;
  assert_int_equal(RunChild([nobody, nogroup] {
                     PrivilegeOptions o;
                     o.run_user = "nobody";
                     o.run_group = std::to_string(nogroup);
                     const Status s = DropPrivileges(o);
                     if (!s.ok()) return ExpectCode(s, Code::kOk);
                     return getgid() == nogroup && getegid() == nogroup ? CheckDropped(nobody) : 8;
                   }),
                   0);
}

void test_env_overrides_config(void**) {
  if (SkipUnlessRoot()) return;
  const uid_t nobody = NobodyUid();
  assert_int_equal(RunChild([nobody] {
                     setenv("FLASHSTORE_RUN_USER", "nobody", 1);
                     PrivilegeOptions o;
                     o.run_user = "root";  // env wins, so this is not a root run
                     const Status s = DropPrivileges(o);
                     return s.ok() ? CheckDropped(nobody) : ExpectCode(s, Code::kOk);
                   }),
                   0);
}

void test_conflicting_env(void**) {
  assert_int_equal(RunChild([] {
                     setenv("FLASHSTORE_RUN_USER", "nobody", 1);
                     setenv("FLASHSTOR_RUN_USER", "daemon", 1);
                     return ExpectCode(DropPrivileges({}), Code::kInvalidArgument);
                   }),
                   0);
}

void test_unknown_user_and_group(void**) {
  if (SkipUnlessRoot()) return;
  assert_int_equal(RunChild([] {
                     PrivilegeOptions o;
                     o.run_user = "no-such-user-flashstor";
                     return ExpectCode(DropPrivileges(o), Code::kNotFound);
                   }),
                   0);
  assert_int_equal(RunChild([] {
                     PrivilegeOptions o;
                     o.run_user = "nobody";
                     o.run_group = "no-such-group-flashstor";
                     return ExpectCode(DropPrivileges(o), Code::kNotFound);
                   }),
                   0);
}

void test_allow_root_keeps_uid_drops_caps(void**) {
  if (SkipUnlessRoot()) return;
  assert_int_equal(RunChild([] {
                     PrivilegeOptions o;
                     o.allow_root = true;
                     const Status s = DropPrivileges(o);
                     if (!s.ok()) return ExpectCode(s, Code::kOk);
                     auto st = ReadPrivilegeState();
                     if (!st || st->uid[1] != 0) return 2;
                     if (st->cap_eff || st->cap_prm || st->cap_bnd) return 3;
                     return st->no_new_privs == 1 ? 0 : 4;
                   }),
                   0);
}

void test_refuses_when_threads_exist(void**) {
  assert_int_equal(RunChild([] {
                     std::atomic<bool> done{false};
                     std::thread t([&done] {
                       while (!done.load()) usleep(1000);
                     });
                     setenv("FLASHSTORE_RUN_USER", "nobody", 1);
                     const int rc = ExpectCode(DropPrivileges({}), Code::kInternal);
                     done = true;
                     t.join();
                     return rc;
                   }),
                   0);
}

void test_non_root_cannot_switch(void**) {
  if (SkipUnlessRoot()) return;
  const uid_t nobody = NobodyUid();
  assert_int_equal(RunChild([nobody] {
                     // Become nobody by hand first (like User= in the unit), then ask for
                     // another user: that needs root and must be refused.
                     if (setgroups(0, nullptr) != 0 || setresgid(nobody, nobody, nobody) != 0 ||
                         setresuid(nobody, nobody, nobody) != 0) {
                       return 2;
                     }
                     PrivilegeOptions o;
                     o.run_user = "daemon";
                     const int rc = ExpectCode(DropPrivileges(o), Code::kPermissionDenied);
                     if (rc != 0) return rc;
                     o.run_user = "nobody";  // already that user: fine, caps cleared, NNP set
                     // As under flashstor.service: SystemCallFilter=~@privileged answers
                     // capset/setgroups/setresuid with EPERM; the drop must still succeed.
                     scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
                     for (const char* name : {"capset", "setgroups", "setresuid", "setuid"}) {
                       seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM),
                                        seccomp_syscall_resolve_name(name), 0);
                     }
                     if (seccomp_load(ctx) != 0) return 4;
                     seccomp_release(ctx);
                     const Status s = DropPrivileges(o);
                     if (!s.ok()) return ExpectCode(s, Code::kOk);
                     auto st = ReadPrivilegeState();
                     return st && st->no_new_privs == 1 && st->cap_eff == 0 ? 0 : 3;
                   }),
                   0);
}

}  // namespace

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_parse_status_text),
      cmocka_unit_test(test_read_own_state),
      cmocka_unit_test(test_root_refused_without_run_user),
      cmocka_unit_test(test_drop_via_product_env),
      cmocka_unit_test(test_drop_via_alt_env_and_config),
      cmocka_unit_test(test_env_overrides_config),
      cmocka_unit_test(test_conflicting_env),
      cmocka_unit_test(test_unknown_user_and_group),
      cmocka_unit_test(test_allow_root_keeps_uid_drops_caps),
      cmocka_unit_test(test_refuses_when_threads_exist),
      cmocka_unit_test(test_non_root_cannot_switch),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
