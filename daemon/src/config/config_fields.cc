// Syntax checks for individual config values: credentials, paths, drive endpoints,
// listen addresses, DNS names. Pure functions; no I/O.
#include "config_fields.h"

#include <charconv>
#include <cstdint>

namespace flashstor::config::internal {
namespace {

constexpr size_t kMaxPath = 4096;

bool IsAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}
bool IsLowerAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

// Port text: 1..5 digits, value 0..65535 (0 = ephemeral, used by tests).
bool ValidPort(std::string_view p) {
  if (p.empty() || p.size() > 5) return false;
  unsigned value = 0;
  const auto [ptr, ec] = std::from_chars(p.data(), p.data() + p.size(), value);
  return ec == std::errc() && ptr == p.data() + p.size() && value <= 65535;
}

// Host part of host:port: a DNS name, an IPv4 literal, or empty (all interfaces).
bool ValidHost(std::string_view h) {
  if (h.size() > 253) return false;
  for (char c : h) {
    if (!IsAlnum(c) && c != '-' && c != '.' && c != '_') return false;
  }
  return h.empty() || (h.front() != '-' && h.front() != '.');
}

bool ValidV6(std::string_view h) {
  if (h.empty() || h.size() > 45) return false;
  for (char c : h) {
    const bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    if (!hex && c != ':' && c != '.') return false;
  }
  return h.find(':') != std::string_view::npos;
}

}  // namespace

std::string SafeKey(std::string_view key) {
  std::string out;
  for (char c : key.substr(0, 64)) out.push_back(c >= 0x20 && c < 0x7f ? c : '?');
  if (key.size() > 64) out += "...";
  return out;
}

std::string CheckRootUser(std::string_view v) {
  if (v.size() < 3 || v.size() > 128) return "must be 3 to 128 characters";
  for (char c : v) {
    if (!IsAlnum(c) && c != '.' && c != '_' && c != '@' && c != '-') {
      return "may only contain letters, digits and . _ @ -";
    }
  }
  return {};
}

std::string CheckRootPassword(std::string_view v) {
  if (v.size() < 8 || v.size() > 256) return "must be 8 to 256 characters";
  for (char c : v) {
    if (c <= 0x20 || c >= 0x7f) return "must be printable ASCII without spaces";
  }
  return {};
}

std::string CheckAbsolutePath(std::string_view v) {
  if (v.empty() || v.front() != '/') return "not an absolute path";
  if (v.size() > kMaxPath) return "path longer than 4096 bytes";
  for (char c : v) {
    if (c < 0x20 || c == 0x7f) return "path contains a control character";
  }
  // Reject ".." components: a drive or log path must name its directory plainly.
  size_t start = 0;
  while (start <= v.size()) {
    size_t end = v.find('/', start);
    if (end == std::string_view::npos) end = v.size();
    if (v.substr(start, end - start) == "..") return "path contains a '..' component";
    start = end + 1;
  }
  return {};
}

std::string CheckListenAddress(std::string_view v) {
  if (v.empty()) return "empty address (want host:port)";
  if (v.front() == '[') {
    const size_t close = v.find(']');
    if (close == std::string_view::npos || close + 1 >= v.size() || v[close + 1] != ':') {
      return "malformed [ipv6]:port address";
    }
    if (!ValidV6(v.substr(1, close - 1))) return "malformed IPv6 address";
    if (!ValidPort(v.substr(close + 2))) return "port must be a number from 0 to 65535";
    return {};
  }
  const size_t colon = v.rfind(':');
  if (colon == std::string_view::npos) return "missing ':port'";
  if (v.substr(0, colon).find(':') != std::string_view::npos) {
    return "IPv6 addresses must be written [addr]:port";
  }
  if (!ValidHost(v.substr(0, colon))) return "malformed host name";
  if (!ValidPort(v.substr(colon + 1))) return "port must be a number from 0 to 65535";
  return {};
}

std::string CheckDrive(std::string_view v) {
  std::string_view rest;
  if (v.starts_with("http://")) {
    rest = v.substr(7);
  } else if (v.starts_with("https://")) {
    rest = v.substr(8);
  } else {
    return CheckAbsolutePath(v);
  }
  const size_t slash = rest.find('/');
  if (slash == std::string_view::npos) return "drive URL has no path";
  const std::string hostport(rest.substr(0, slash));
  const std::string reason = CheckListenAddress(hostport);
  if (!reason.empty()) return "drive URL: " + reason;
  if (hostport.front() == ':') return "drive URL has no host";
  return CheckAbsolutePath(rest.substr(slash));
}

std::string CheckDomain(std::string_view v) {
  if (v.empty() || v.size() > 253) return "must be 1 to 253 characters";
  size_t label = 0;
  for (size_t i = 0; i < v.size(); ++i) {
    const char c = v[i];
    if (c == '.') {
      if (label == 0 || v[i - 1] == '-') return "malformed DNS name";
      label = 0;
      continue;
    }
    if (!IsLowerAlnum(c) && c != '-') return "must be a lower-case DNS name";
    if (c == '-' && label == 0) return "malformed DNS name";
    if (++label > 63) return "DNS label longer than 63 characters";
  }
  if (label == 0 || v.back() == '-') return "malformed DNS name";
  return {};
}

std::string CheckRegion(std::string_view v) {
  if (v.empty() || v.size() > 32) return "must be 1 to 32 characters";
  for (char c : v) {
    if (!IsLowerAlnum(c) && c != '-') return "may only contain a-z, 0-9 and '-'";
  }
  return {};
}

std::string CheckPosixName(std::string_view v) {
  if (v.empty() || v.size() > 32) return "must be 1 to 32 characters";
  if (!(v.front() == '_' || (v.front() >= 'a' && v.front() <= 'z'))) {
    return "must start with a-z or '_'";
  }
  for (char c : v) {
    if (!IsLowerAlnum(c) && c != '_' && c != '-') return "may only contain a-z, 0-9, '_', '-'";
  }
  return {};
}

}  // namespace flashstor::config::internal
