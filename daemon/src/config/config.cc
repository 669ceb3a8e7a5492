// ParseConfig / LoadConfig: walks the cJSON tree with one handler per known field (a table,
// so unknown and duplicate fields fall out of one loop), then runs cross-field checks.
#include "flashstor/config/config.h"

#include <cjson/cJSON.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <memory>
#include <set>

#include "config_fields.h"
#include "flashstor/config/ellipsis.h"

namespace flashstor::config {
namespace {

using internal::SafeKey;
using Error = std::optional<ConfigError>;

struct JsonDeleter {
  void operator()(cJSON* j) const { cJSON_Delete(j); }
};

Error Fail(std::string field, std::string reason) {
  return ConfigError{std::move(field), std::move(reason)};
}

// Reads a string field; reason names the expected type on mismatch.
Error GetString(const cJSON* j, const std::string& field, std::string& out) {
  if (!cJSON_IsString(j) || j->valuestring == nullptr) return Fail(field, "must be a string");
  out = j->valuestring;
  return std::nullopt;
}

Error GetChecked(const cJSON* j, const std::string& field, std::string& out,
                 std::string (*check)(std::string_view)) {
  if (Error e = GetString(j, field, out)) return e;
  std::string reason = check(out);
  if (!reason.empty()) return Fail(field, std::move(reason));
  return std::nullopt;
}

Error GetBool(const cJSON* j, const std::string& field, bool& out) {
  if (!cJSON_IsBool(j)) return Fail(field, "must be true or false");
  out = cJSON_IsTrue(j);
  return std::nullopt;
}

// Calls fn(key, item) for each member, rejecting non-objects and duplicate keys.
template <typename Fn>
Error ForEachMember(const cJSON* obj, const std::string& field, Fn fn) {
  if (!cJSON_IsObject(obj)) return Fail(field, "must be an object");
  std::set<std::string> seen;
  for (const cJSON* it = obj->child; it != nullptr; it = it->next) {
    const std::string key = it->string != nullptr ? it->string : "";
    const std::string path = field.empty() ? SafeKey(key) : field + "." + SafeKey(key);
    if (!seen.insert(key).second) return Fail(path, "duplicate field");
    if (Error e = fn(key, path, it)) return e;
  }
  return std::nullopt;
}

Error ParseDrives(const cJSON* j, Config& c) {
  if (!cJSON_IsArray(j)) return Fail("drives", "must be an array of strings");
  if (cJSON_GetArraySize(j) == 0) return Fail("drives", "must list at least one drive");
  std::set<std::string> seen;
  int index = 0;
  for (const cJSON* it = j->child; it != nullptr; it = it->next, ++index) {
    const std::string field = "drives[" + std::to_string(index) + "]";
    std::string pattern;
    if (Error e = GetString(it, field, pattern)) return e;
    auto expanded = ExpandEllipsis(pattern, kMaxDrives);
    if (!expanded) return Fail(field, expanded.error());
    for (std::string& drive : *expanded) {
      std::string reason = internal::CheckDrive(drive);
      if (!reason.empty()) return Fail(field, std::move(reason));
      if (!seen.insert(drive).second) return Fail(field, "duplicate drive \"" + drive + "\"");
      if (c.drives.size() >= kMaxDrives) return Fail("drives", "more than 4096 drives");
      c.drives.push_back(std::move(drive));
    }
  }
  return std::nullopt;
}

Error ParseListener(const cJSON* j, const std::string& field, Listener& l) {
  bool has_address = false;
  Error e = ForEachMember(
      j, field, [&](const std::string& key, const std::string& path, const cJSON* v) -> Error {
        if (key == "address") {
          has_address = true;
          return GetChecked(v, path, l.address, internal::CheckListenAddress);
        }
        if (key == "tls") return GetBool(v, path, l.tls);
        return Fail(path, "unknown field");
      });
  if (e) return e;
  if (!has_address) return Fail(field + ".address", "required");
  return std::nullopt;
}

Error ParseListen(const cJSON* j, Config& c) {
  if (!cJSON_IsArray(j)) return Fail("listen", "must be an array of {address, tls}");
  const int n = cJSON_GetArraySize(j);
  if (n == 0) return Fail("listen", "must list at least one listener");
  if (static_cast<size_t>(n) > kMaxListeners) return Fail("listen", "more than 16 listeners");
  int index = 0;
  for (const cJSON* it = j->child; it != nullptr; it = it->next, ++index) {
    Listener l;
    if (Error e = ParseListener(it, "listen[" + std::to_string(index) + "]", l)) return e;
    c.listen.push_back(std::move(l));
  }
  return std::nullopt;
}

Error ParseLifecycleDay(const cJSON* j, Config& c) {
  if (!cJSON_IsNumber(j) || j->valuedouble != std::floor(j->valuedouble) || j->valuedouble < 1 ||
      j->valuedouble > 86'400) {
    return Fail("lifecycle_day_seconds", "must be a whole number from 1 to 86400");
  }
  c.lifecycle_day_seconds = static_cast<int>(j->valuedouble);
  return std::nullopt;
}

Error ParseTrashGrace(const cJSON* j, Config& c) {
  if (!cJSON_IsNumber(j) || j->valuedouble != std::floor(j->valuedouble) || j->valuedouble < 1 ||
      j->valuedouble > 604'800) {
    return Fail("trash_grace_seconds", "must be a whole number from 1 to 604800");
  }
  c.trash_grace_seconds = static_cast<int>(j->valuedouble);
  return std::nullopt;
}

Error ParseParity(const cJSON* j, Config& c) {
  if (!cJSON_IsNumber(j) || j->valuedouble != std::floor(j->valuedouble)) {
    return Fail("parity", "must be an integer");
  }
  if (j->valuedouble < 0 || j->valuedouble > kMaxParity) {
    return Fail("parity", "must be between 0 and 8");
  }
  c.parity = static_cast<int>(j->valuedouble);
  return std::nullopt;
}

Error ParseAudit(const cJSON* j, Config& c) {
  return ForEachMember(
      j, "audit", [&](const std::string& key, const std::string& path, const cJSON* v) -> Error {
        if (key == "file") return GetChecked(v, path, c.audit.file, internal::CheckAbsolutePath);
        if (key == "journald") return GetBool(v, path, c.audit.journald);
        return Fail(path, "unknown field");
      });
}

Error ParseMetricsAccess(const cJSON* j, Config& c) {
  std::string v;
  if (Error e = GetString(j, "metrics_access", v)) return e;
  if (v == "signed") {
    c.metrics_access = MetricsAccess::kSigned;
  } else if (v == "public") {
    c.metrics_access = MetricsAccess::kPublic;
  } else if (v == "token") {
    c.metrics_access = MetricsAccess::kToken;
  } else {
    return Fail("metrics_access", "must be \"public\", \"signed\" or \"token\"");
  }
  return std::nullopt;
}

Error GetInt(const cJSON* v, const std::string& path, int lo, int hi, int& out) {
  if (!cJSON_IsNumber(v) || v->valuedouble != std::floor(v->valuedouble) || v->valuedouble < lo ||
      v->valuedouble > hi) {
    return Fail(path,
                "must be a whole number from " + std::to_string(lo) + " to " + std::to_string(hi));
  }
  out = static_cast<int>(v->valuedouble);
  return std::nullopt;
}

Error ParseWebIdentity(const cJSON* j, Config& c) {
  return ForEachMember(
      j, "sts.web_identity",
      [&](const std::string& key, const std::string& path, const cJSON* v) -> Error {
        if (key == "jwks_file") {
          return GetChecked(v, path, c.sts.jwks_file, internal::CheckAbsolutePath);
        }
        if (key == "issuer") return GetString(v, path, c.sts.issuer);
        if (key == "skew_seconds") return GetInt(v, path, 0, 300, c.sts.skew_seconds);
        if (key == "audiences") {
          if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) < 1 || cJSON_GetArraySize(v) > 100) {
            return Fail(path, "must be an array of 1 to 100 strings");
          }
          for (const cJSON* a = v->child; a != nullptr; a = a->next) {
            std::string aud;
            if (Error e = GetString(a, path, aud)) return e;
            c.sts.audiences.push_back(std::move(aud));
          }
          return std::nullopt;
        }
        return Fail(path, "unknown field");
      });
}

Error ParseSts(const cJSON* j, Config& c) {
  return ForEachMember(
      j, "sts", [&](const std::string& key, const std::string& path, const cJSON* v) -> Error {
        if (key == "min_duration_seconds") {
          return GetInt(v, path, 1, 900, c.sts.min_duration_seconds);
        }
        if (key == "web_identity") return ParseWebIdentity(v, c);
        return Fail(path, "unknown field");
      });
}

Error ParseLogLevel(const cJSON* j, Config& c) {
  std::string v;
  if (Error e = GetString(j, "log_level", v)) return e;
  for (LogLevel l : {LogLevel::kError, LogLevel::kWarning, LogLevel::kNotice, LogLevel::kInfo,
                     LogLevel::kDebug}) {
    if (v == LogLevelName(l)) {
      c.log_level = l;
      return std::nullopt;
    }
  }
  return Fail("log_level", "must be one of debug, info, notice, warning, error");
}

// "limits": {"request_timeout_s": 600, ...}: whole numbers within each field's range.
Error ParseLimits(const cJSON* j, Config& c) {
  struct Field {
    const char* name;
    std::optional<int> LimitsConfig::*member;
    int lo, hi;
  };
  static constexpr Field kFields[] = {
      {"request_timeout_s", &LimitsConfig::request_timeout_s, 0, 7 * 24 * 3600},
      {"request_timeout_kib_per_s", &LimitsConfig::request_timeout_kib_per_s, 0, 1 << 20},
      {"min_rate_kib", &LimitsConfig::min_rate_kib, 0, 1 << 20},
      {"min_rate_window_s", &LimitsConfig::min_rate_window_s, 1, 3600},
      {"max_requests_per_client", &LimitsConfig::max_requests_per_client, 0, 1 << 16},
      {"stall_restart_s", &LimitsConfig::stall_restart_s, 0, 24 * 3600},
      {"request_memory_mib", &LimitsConfig::request_memory_mib, 4, 1 << 20},
      {"admission_timeout_s", &LimitsConfig::admission_timeout_s, 1, 3600},
      {"operation_timeout_s", &LimitsConfig::operation_timeout_s, 0, 24 * 3600},
      {"drive_timeout_s", &LimitsConfig::drive_timeout_s, 1, 3600},
      {"drive_meta_timeout_s", &LimitsConfig::drive_meta_timeout_s, 1, 3600},
      {"drive_probe_interval_s", &LimitsConfig::drive_probe_interval_s, 1, 3600},
      {"http2_max_streams", &LimitsConfig::http2_max_streams, 0, 1000},
  };
  return ForEachMember(
      j, "limits", [&](const std::string& key, const std::string& path, const cJSON* v) -> Error {
        for (const Field& f : kFields) {
          if (key != f.name) continue;
          if (!cJSON_IsNumber(v) || v->valuedouble != std::floor(v->valuedouble) ||
              v->valuedouble < f.lo || v->valuedouble > f.hi) {
            return Fail(path, "must be a whole number from " + std::to_string(f.lo) + " to " +
                                  std::to_string(f.hi));
          }
          c.limits.*f.member = static_cast<int>(v->valuedouble);
          return std::nullopt;
        }
        return Fail(path, "unknown field");
      });
}

// The field table: every top-level key the file may hold.
Error ParseField(const std::string& key, const std::string& path, const cJSON* v, Config& c) {
  using namespace internal;
  if (key == "root_user") return GetChecked(v, path, c.root_user, CheckRootUser);
  if (key == "root_password") return GetChecked(v, path, c.root_password, CheckRootPassword);
  if (key == "drives") return ParseDrives(v, c);
  if (key == "listen") return ParseListen(v, c);
  if (key == "certs_dir") return GetChecked(v, path, c.certs_dir, CheckAbsolutePath);
  if (key == "domain") return GetChecked(v, path, c.domain, CheckDomain);
  if (key == "region") return GetChecked(v, path, c.region, CheckRegion);
  if (key == "parity") return ParseParity(v, c);
  if (key == "run_user") return GetChecked(v, path, c.run_user, CheckPosixName);
  if (key == "run_group") return GetChecked(v, path, c.run_group, CheckPosixName);
  if (key == "metrics_access") return ParseMetricsAccess(v, c);
  if (key == "metrics_token_file") {
    return GetChecked(v, path, c.metrics_token_file, internal::CheckAbsolutePath);
  }
  if (key == "sts") return ParseSts(v, c);
  if (key == "audit") return ParseAudit(v, c);
  if (key == "log_level") return ParseLogLevel(v, c);
  if (key == "limits") return ParseLimits(v, c);
  if (key == "lifecycle_day_seconds") return ParseLifecycleDay(v, c);
  if (key == "trash_grace_seconds") return ParseTrashGrace(v, c);
  if (key == "sigv2") return GetBool(v, path, c.sigv2);
  if (key == "notify_webhook") return internal::ParseNotifyWebhook(v, c);
  return Fail(path, "unknown field");
}

Error CrossCheck(Config& c) {
  if (c.root_user.empty()) return Fail("root_user", "required");
  if (c.root_password.empty()) return Fail("root_password", "required");
  if (c.drives.empty()) return Fail("drives", "required");
  if (c.root_password == c.root_user) return Fail("root_password", "must differ from root_user");
  if (c.listen.empty()) c.listen.push_back(Listener{":9000", false});
  bool tls = false;
  for (const Listener& l : c.listen) tls = tls || l.tls;
  if (tls && c.certs_dir.empty()) return Fail("certs_dir", "required when a listener has tls");
  if (c.parity && static_cast<size_t>(*c.parity) * 2 > c.drives.size()) {
    return Fail("parity", "must be at most half the number of drives");
  }
  if (!c.run_group.empty() && c.run_user.empty()) {
    return Fail("run_group", "set run_user as well");
  }
  return std::nullopt;
}

}  // namespace

std::string_view MetricsAccessName(MetricsAccess access) {
  switch (access) {
    case MetricsAccess::kPublic:
      return "public";
    case MetricsAccess::kToken:
      return "token";
    case MetricsAccess::kSigned:
      break;
  }
  return "signed";
}

std::string_view LogLevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kError:
      return "error";
    case LogLevel::kWarning:
      return "warning";
    case LogLevel::kNotice:
      return "notice";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kDebug:
      return "debug";
  }
  return "info";
}

ConfigResult ParseConfig(std::string_view text) {
  if (text.size() > kMaxConfigBytes) {
    return std::unexpected(ConfigError{"config", "file larger than 1 MiB"});
  }
  const char* end = nullptr;
  std::unique_ptr<cJSON, JsonDeleter> root(
      cJSON_ParseWithLengthOpts(text.data(), text.size(), &end, false));
  if (!root) {
    const size_t offset = end != nullptr ? static_cast<size_t>(end - text.data()) : 0;
    return std::unexpected(
        ConfigError{"config", "not valid JSON (near byte " + std::to_string(offset) + ")"});
  }
  // cJSON stops after the first value; anything but whitespace after it is an error.
  for (const char* p = end; p != nullptr && p < text.data() + text.size(); ++p) {
    if (*p != ' ' && *p != '\n' && *p != '\r' && *p != '\t') {
      return std::unexpected(ConfigError{"config", "trailing data after the JSON object"});
    }
  }
  if (!cJSON_IsObject(root.get())) {
    return std::unexpected(ConfigError{"config", "top level must be a JSON object"});
  }
  Config c;
  Error e = ForEachMember(root.get(), "",
                          [&](const std::string& key, const std::string& path, const cJSON* v) {
                            return ParseField(key, path, v, c);
                          });
  if (!e) e = CrossCheck(c);
  if (e) return std::unexpected(std::move(*e));
  return c;
}

ConfigResult LoadConfig(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) {
    return std::unexpected(ConfigError{"config", "cannot open: " + std::string(strerror(errno))});
  }
  struct stat st {};
  std::string text;
  std::optional<ConfigError> error;
  if (fstat(fd, &st) != 0) {
    error = ConfigError{"config", "cannot stat: " + std::string(strerror(errno))};
  } else if (!S_ISREG(st.st_mode)) {
    error = ConfigError{"config", "not a regular file"};
  } else if ((st.st_mode & (S_IROTH | S_IWOTH)) != 0) {
    char mode[8];
    snprintf(mode, sizeof(mode), "%04o", static_cast<unsigned>(st.st_mode & 07777));
    error = ConfigError{"config", std::string("file mode ") + mode +
                                      " lets other users read or write it, but it holds "
                                      "root_password: chmod 600 (or 640 root:flashstor)"};
  } else if (static_cast<size_t>(st.st_size) > kMaxConfigBytes) {
    error = ConfigError{"config", "file larger than 1 MiB"};
  } else {
    text.resize(static_cast<size_t>(st.st_size));
    size_t off = 0;
    while (off < text.size()) {
      const ssize_t n = read(fd, text.data() + off, text.size() - off);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      off += static_cast<size_t>(n);
    }
    if (off != text.size()) error = ConfigError{"config", "short read"};
  }
  close(fd);
  if (error) return std::unexpected(std::move(*error));
  return ParseConfig(text);
}

}  // namespace flashstor::config
