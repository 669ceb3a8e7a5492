// ReadPrivilegeState: the credentials, capability sets and confinement of this process as
// /proc/self/status reports them, for the start-up log and for tests.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdio>

#include "flashstor/sys/privileges.h"

namespace flashstor::sys {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

template <typename T>
bool ParseNumber(std::string_view s, T& out, int base = 10) {
  s = Trim(s);
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out, base);
  return ec == std::errc() && ptr == s.data() + s.size();
}

// "Uid:\t1\t2\t3\t4" -> four ids.
template <typename T>
bool ParseIds(std::string_view s, T (&out)[4]) {
  for (T& id : out) {
    s = Trim(s);
    const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), id);
    if (ec != std::errc()) return false;
    s.remove_prefix(static_cast<size_t>(ptr - s.data()));
  }
  return Trim(s).empty();
}

bool ParseLine(std::string_view key, std::string_view value, PrivilegeState& st) {
  if (key == "Uid") return ParseIds(value, st.uid);
  if (key == "Gid") return ParseIds(value, st.gid);
  if (key == "CapInh") return ParseNumber(value, st.cap_inh, 16);
  if (key == "CapPrm") return ParseNumber(value, st.cap_prm, 16);
  if (key == "CapEff") return ParseNumber(value, st.cap_eff, 16);
  if (key == "CapBnd") return ParseNumber(value, st.cap_bnd, 16);
  if (key == "CapAmb") return ParseNumber(value, st.cap_amb, 16);
  if (key == "NoNewPrivs") return ParseNumber(value, st.no_new_privs);
  if (key == "Seccomp") return ParseNumber(value, st.seccomp);
  if (key == "Threads") return ParseNumber(value, st.threads);
  return true;  // a line we do not need
}

}  // namespace

Result<PrivilegeState> ParsePrivilegeState(std::string_view text) {
  PrivilegeState st;
  bool have_uid = false, have_gid = false, have_caps = false;
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    const std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    const std::string_view key = line.substr(0, colon);
    if (!ParseLine(key, line.substr(colon + 1), st)) {
      return Err(Code::kCorrupt, "malformed line in /proc/self/status");
    }
    have_uid = have_uid || key == "Uid";
    have_gid = have_gid || key == "Gid";
    have_caps = have_caps || key == "CapEff";
  }
  if (!have_uid || !have_gid || !have_caps) {
    return Err(Code::kCorrupt, "/proc/self/status lacks Uid, Gid or CapEff");
  }
  return st;
}

Result<PrivilegeState> ReadPrivilegeState() {
  const int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Err(Code::kIoError, "cannot open /proc/self/status", errno);
  char buf[8192];
  size_t len = 0;
  while (len < sizeof(buf)) {
    const ssize_t n = read(fd, buf + len, sizeof(buf) - len);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      close(fd);
      return Err(Code::kIoError, "cannot read /proc/self/status", err);
    }
    if (n == 0) break;
    len += static_cast<size_t>(n);
  }
  close(fd);
  return ParsePrivilegeState(std::string_view(buf, len));
}

std::string FormatPrivilegeState(const PrivilegeState& s) {
  char line[320];
  std::snprintf(
      line, sizeof(line),
      "uid=%u/%u/%u gid=%u/%u/%u cap_eff=%llx cap_prm=%llx cap_inh=%llx cap_bnd=%llx "
      "cap_amb=%llx no_new_privs=%d seccomp=%d threads=%d",
      s.uid[0], s.uid[1], s.uid[2], s.gid[0], s.gid[1], s.gid[2],
      static_cast<unsigned long long>(s.cap_eff), static_cast<unsigned long long>(s.cap_prm),
      static_cast<unsigned long long>(s.cap_inh), static_cast<unsigned long long>(s.cap_bnd),
      static_cast<unsigned long long>(s.cap_amb), s.no_new_privs, s.seccomp, s.threads);
  return line;
}

}  // namespace flashstor::sys
