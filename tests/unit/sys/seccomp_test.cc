// Seccomp allowlist tests: each case forks a child, installs the filter, and checks that the
// daemon's post-start calls work while execve/ptrace/mount/fork/RWX maps kill it (SIGSYS).
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/seccomp.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>

#include "flashstor/sys/audit_events.h"
#include "flashstor/sys/privileges.h"
#include "flashstor/sys/seccomp.h"
#include "flashstor/sys/systemd.h"

#include "cmocka_cpp.h"

using namespace flashstor::sys;

namespace {

// Forks; the child installs the filter in mode, runs fn and exits with its return value.
// Returns the raw wait status. Exit 90 = the filter could not be installed.
template <typename Fn>
int RunFiltered(Fn fn, SeccompMode mode = SeccompMode::kEnforce) {
  fflush(nullptr);
  const pid_t pid = fork();
  if (pid == 0) {
    if (!InstallSeccompFilter(mode).ok()) _exit(90);
    _exit(fn());
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return status;
}

void ExpectExit0(int status) {
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    print_error("child: exited=%d code=%d signaled=%d sig=%d\n", WIFEXITED(status),
                WEXITSTATUS(status), WIFSIGNALED(status), WTERMSIG(status));
    fail();
  }
}

void ExpectSigsys(int status) {
  if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGSYS) {
    print_error("child not killed by SIGSYS: exited=%d code=%d signaled=%d sig=%d\n",
                WIFEXITED(status), WEXITSTATUS(status), WIFSIGNALED(status), WTERMSIG(status));
    fail();
  }
}

int Setup(void**) {
  if (prctl(PR_GET_SECCOMP, 0, 0, 0, 0) < 0) {
    print_message("kernel without seccomp: skipping\n");
    return -1;
  }
  return 0;
}

bool Listed(const char* name) {
  for (const SyscallEntry& e : SeccompAllowlist()) {
    if (std::strcmp(e.name, name) == 0) return true;
  }
  return false;
}

void test_allowlist_is_valid(void**) {
  assert_true(ValidateSeccompFilter().ok());
  for (const char* needed : {"epoll_wait", "accept4", "read", "writev", "pread64", "pwrite64",
                             "openat", "renameat2", "fsync", "futex", "clone", "getrandom",
                             "sendmsg", "timerfd_create", "eventfd2", "exit_group"}) {
    if (!Listed(needed)) print_error("missing %s\n", needed);
    assert_true(Listed(needed));
  }
  for (const char* banned : {"execve",         "execveat",    "ptrace",      "mount",
                             "fork",           "vfork",       "bpf",         "setuid",
                             "setresuid",      "init_module", "kexec_load",  "unshare",
                             "setns",          "chroot",      "pivot_root",  "process_vm_writev",
                             "bind",           "listen",      "personality", "keyctl",
                             "perf_event_open"}) {
    if (Listed(banned)) print_error("allowlist must not hold %s\n", banned);
    assert_false(Listed(banned));
  }
}

void test_allowed_calls_work(void**) {
  int pipefd[2];
  assert_int_equal(pipe2(pipefd, O_CLOEXEC), 0);
  ExpectExit0(RunFiltered([&] {
    char buf[64];
    if (getpid() <= 0) return 1;
    if (write(pipefd[1], "x", 1) != 1 || read(pipefd[0], buf, 1) != 1) return 2;
    if (getrandom(buf, sizeof(buf), 0) != static_cast<ssize_t>(sizeof(buf))) return 3;
    const int ep = epoll_create1(EPOLL_CLOEXEC);
    const int ev = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (ep < 0 || ev < 0) return 4;
    epoll_event e{};
    e.events = EPOLLIN;
    if (epoll_ctl(ep, EPOLL_CTL_ADD, ev, &e) != 0 || eventfd_write(ev, 1) != 0) return 5;
    if (epoll_wait(ep, &e, 1, 100) != 1) return 6;
    auto st = ReadPrivilegeState();  // openat + read of /proc/self/status
    if (!st || st->seccomp != 2 || st->no_new_privs != 1) return 7;
    void* p = mmap(nullptr, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED || munmap(p, 1 << 20) != 0) return 8;
    if (prctl(PR_SET_NAME, "fs-test", 0, 0, 0) != 0) return 9;
    std::string big(1 << 22, 'x');  // malloc: mmap/brk
    return big.size() == (1u << 22) ? 0 : 10;
  }));
  close(pipefd[0]);
  close(pipefd[1]);
}

void test_threads_work(void**) {
  // glibc tries clone3 first; the filter answers ENOSYS and glibc falls back to clone.
  ExpectExit0(RunFiltered([] {
    int value = 0;
    std::thread t([&value] { value = 42; });
    t.join();
    return value == 42 ? 0 : 1;
  }));
}

void test_execve_killed(void**) {
  ExpectSigsys(RunFiltered([] {
    char* const argv[] = {const_cast<char*>("true"), nullptr};
    execve("/bin/true", argv, environ);
    return 3;
  }));
}

void test_ptrace_killed(void**) {
  ExpectSigsys(
      RunFiltered([] { return ptrace(PTRACE_TRACEME, 0, nullptr, nullptr) == 0 ? 3 : 4; }));
}

void test_mount_killed(void**) {
  ExpectSigsys(RunFiltered([] { return mount("none", "/mnt", "tmpfs", 0, nullptr) == 0 ? 3 : 4; }));
}

void test_fork_killed(void**) {
  ExpectSigsys(RunFiltered([] {
    const pid_t p = fork();
    if (p == 0) _exit(0);
    return 3;
  }));
}

void test_namespace_clone_killed(void**) {
  ExpectSigsys(RunFiltered([] {
    const long rc = syscall(SYS_clone, CLONE_THREAD | CLONE_SIGHAND | CLONE_VM | CLONE_NEWUSER,
                            nullptr, nullptr, nullptr, nullptr);
    return rc >= 0 ? 3 : 4;
  }));
}

void test_write_exec_mapping_killed(void**) {
  ExpectSigsys(RunFiltered([] {
    void* p =
        mmap(nullptr, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? 4 : 3;
  }));
  ExpectSigsys(RunFiltered([] {
    void* p = mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return 5;
    return mprotect(p, 4096, PROT_READ | PROT_WRITE | PROT_EXEC) == 0 ? 3 : 4;
  }));
}

void test_restricted_prctl_killed(void**) {
  ExpectSigsys(RunFiltered([] { return prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) == 0 ? 3 : 4; }));
}

void test_socket_families(void**) {
  ExpectExit0(RunFiltered([] {
    const int tcp = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const int unx = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (tcp < 0 || unx < 0) return 1;
    errno = 0;
    if (socket(AF_NETLINK, SOCK_RAW, 0) != -1 || errno != EAFNOSUPPORT) return 2;
    errno = 0;
    if (socket(AF_PACKET, SOCK_RAW, 0) != -1 || errno != EAFNOSUPPORT) return 3;
    errno = 0;
    if (socket(0, SOCK_STREAM, 0) != -1 || errno != EAFNOSUPPORT) return 4;
    return 0;
  }));
}

void test_notify_and_events_under_filter(void**) {
  // The calls the daemon makes after start-up through libsystemd/libaudit must be allowed.
  char dir[] = "/tmp/fs-seccomp-XXXXXX";
  assert_non_null(mkdtemp(dir));
  const std::string path = std::string(dir) + "/notify";
  const int sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
  assert_int_equal(bind(sock, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  setenv("NOTIFY_SOCKET", path.c_str(), 1);
  ExpectExit0(RunFiltered([] {
    auto sent = NotifyStatus("serving");
    if (!sent || !*sent) return 1;
    LogSecurityEvent(SecurityEvent::kServiceStart, "seccomp test", true);
    return 0;
  }));
  unsetenv("NOTIFY_SOCKET");
  char buf[256] = {};
  const ssize_t n = recv(sock, buf, sizeof(buf) - 1, MSG_DONTWAIT);
  assert_true(n > 0);
  assert_string_equal(buf, "STATUS=serving");
  close(sock);
  unlink(path.c_str());
  rmdir(dir);
}

void test_log_only_mode_allows(void**) {
  // kLogOnly lets a forbidden call through (logged by the kernel) for allowlist debugging.
  ExpectExit0(RunFiltered(
      [] {
        char* const argv[] = {const_cast<char*>("true"), nullptr};
        execve("/bin/true", argv, environ);
        return 3;
      },
      SeccompMode::kLogOnly));
}

// The SECCOMP_FILTER_FLAG_LOG of the filter a child installs in mode, read by the parent with
// PTRACE_SECCOMP_GET_METADATA (needs CAP_SYS_ADMIN). -1 when it cannot be read.
int FilterLogFlag(SeccompMode mode) {
  fflush(nullptr);
  const pid_t pid = fork();
  if (pid == 0) {
    if (ptrace(PTRACE_TRACEME, 0, nullptr, nullptr) != 0) _exit(91);
    if (!InstallSeccompFilter(mode).ok()) _exit(90);
    raise(SIGSTOP);  // the parent reads the filter's flags while the child is stopped
    _exit(0);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  int flag = -1;
  if (WIFSTOPPED(status)) {
    __ptrace_seccomp_metadata md{};
    md.filter_off = 0;
    if (ptrace(PTRACE_SECCOMP_GET_METADATA, pid, reinterpret_cast<void*>(sizeof(md)), &md) ==
        static_cast<long>(sizeof(md))) {
      flag = (md.flags & SECCOMP_FILTER_FLAG_LOG) != 0 ? 1 : 0;
    }
  }
  kill(pid, SIGKILL);
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return flag;
}

void test_enforce_mode_logs_only_kills(void**) {
  // With SECCOMP_FILTER_FLAG_LOG the kernel audits every ERRNO answer too: glibc's clone3
  // attempt at each thread creation (answered ENOSYS on purpose) filled the audit log. Kills
  // are audited without the flag, so enforce mode must not set it; log-only mode needs it.
  if (geteuid() != 0) {
    print_message("SKIP: reading a filter's flags (PTRACE_SECCOMP_GET_METADATA) needs root\n");
    skip();
  }
  assert_int_equal(FilterLogFlag(SeccompMode::kEnforce), 0);
  assert_int_equal(FilterLogFlag(SeccompMode::kLogOnly), 1);
}

}  // namespace

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_allowlist_is_valid),
      cmocka_unit_test(test_allowed_calls_work),
      cmocka_unit_test(test_threads_work),
      cmocka_unit_test(test_execve_killed),
      cmocka_unit_test(test_ptrace_killed),
      cmocka_unit_test(test_mount_killed),
      cmocka_unit_test(test_fork_killed),
      cmocka_unit_test(test_namespace_clone_killed),
      cmocka_unit_test(test_write_exec_mapping_killed),
      cmocka_unit_test(test_restricted_prctl_killed),
      cmocka_unit_test(test_socket_families),
      cmocka_unit_test(test_notify_and_events_under_filter),
      cmocka_unit_test(test_log_only_mode_allows),
      cmocka_unit_test(test_enforce_mode_logs_only_kills),
  };
  return cmocka_run_group_tests(tests, Setup, nullptr);
}
