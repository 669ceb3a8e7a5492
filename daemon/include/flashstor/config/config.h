// The appliance configuration: one JSON file (/etc/flashstor/config.json) parsed with cJSON
// into Config. Start-up code only; errors name the field and the reason.
#pragma once

#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace flashstor::config {

// Bounds on what a config file may hold (the file is operator input, still bounded).
inline constexpr size_t kMaxConfigBytes = 1 << 20;
inline constexpr size_t kMaxListeners = 16;
inline constexpr size_t kMaxDrives = 4096;  // after ellipsis expansion
inline constexpr int kMaxParity = 8;

struct Listener {
  std::string address;  // "host:port", "[v6]:port" or ":port" (all interfaces); port 0..65535
  bool tls = false;
};

// /metrics: SigV4-signed (root or IAM user), open to anyone, or a bearer token (Prometheus).
enum class MetricsAccess { kSigned, kPublic, kToken };

// STS (docs/iam.md): the shortest session, and OIDC web identity federation.
struct StsSettings {
  int min_duration_seconds = 900;  // 900 as AWS; tests lower it (1..900)
  std::string jwks_file;           // absolute; empty = AssumeRoleWithWebIdentity refused
  std::string issuer;              // the tokens' "iss"
  std::vector<std::string> audiences;
  int skew_seconds = 60;  // 0..300
};

// Values equal syslog priorities, so static_cast<obs::Level>(level) is valid.
enum class LogLevel : int { kError = 3, kWarning = 4, kNotice = 5, kInfo = 6, kDebug = 7 };

struct AuditConfig {
  std::string file;      // absolute path of the JSON audit log; empty = no file
  bool journald = true;  // also send audit records to journald
};

// Bounds on what one client may take of the request tasks (net::ServerOptions holds the
// defaults; unset here means the default). Zero switches a bound off.
struct LimitsConfig {
  std::optional<int> request_timeout_s;          // total per request, before the rate credit
  std::optional<int> request_timeout_kib_per_s;  // 1 s more per this many KiB moved
  std::optional<int> min_rate_kib;               // at least this many KiB per window ...
  std::optional<int> min_rate_window_s;          // ... of waiting for the client
  std::optional<int> max_requests_per_client;    // in flight per address (0 = auto)
  std::optional<int> stall_restart_s;      // requests queued, none progressing: stop the watchdog
  std::optional<int> request_memory_mib;   // memory budget of the requests in flight
  std::optional<int> admission_timeout_s;  // longest wait for admission or memory, then 503
  // The server's own time for a request (locks, drives), on top of its transfer at the
  // --request-timeout-rate; then 503 SlowDown (default 60; 0: no deadline).
  std::optional<int> operation_timeout_s;
  // Drive health (storage/health_checked_disk.h): a drive call older than its deadline takes
  // the drive offline; an offline drive is probed (or reconnected) every probe interval.
  std::optional<int> drive_timeout_s;         // data calls (default 30)
  std::optional<int> drive_meta_timeout_s;    // metadata calls and disk_info (default 5)
  std::optional<int> drive_probe_interval_s;  // default 5
  // HTTP/2 streams in flight per connection (default 100); 0 turns HTTP/2 off (h2 by ALPN
  // and h2c with prior knowledge).
  std::optional<int> http2_max_streams;
};

// A webhook target of bucket event notifications (docs/notifications.md); its ARN is
// arn:flashstor:sqs::<id>:webhook.
struct WebhookTarget {
  std::string id;               // 1..64 of [A-Za-z0-9_-]
  std::string endpoint;         // http://host[:port]/path
  std::string auth_token_file;  // optional absolute path: "Authorization: Bearer <contents>"
  int queue_limit = 10'000;     // events waiting, 1..1,000,000
  int64_t queue_bytes_limit = 64ll << 20;  // their bytes, 64 KiB..64 GiB
};
inline constexpr size_t kMaxWebhookTargets = 16;

struct Config {
  std::string root_user;            // 3..128 chars of [A-Za-z0-9._@-]
  std::string root_password;        // 8..256 printable ASCII, no spaces; never log it
  std::vector<std::string> drives;  // expanded; absolute paths or http(s)://host:port/path
  std::vector<Listener> listen;     // default {":9000", tls=false}
  std::string certs_dir;            // absolute; required when any listener has tls
  std::string domain;               // optional virtual-host-style domain
  std::string region = "us-east-1";
  std::optional<int> parity;  // 0..kMaxParity and at most drives/2; unset = layout default
  std::string run_user;       // optional; FLASHSTORE_RUN_USER overrides (sys/privileges.h)
  std::string run_group;
  MetricsAccess metrics_access = MetricsAccess::kSigned;
  // metrics_access "token": the file holding the bearer token (absolute; never logged). Unset:
  // $CREDENTIALS_DIRECTORY/metrics_token (a systemd credential).
  std::string metrics_token_file;
  StsSettings sts;
  AuditConfig audit;
  LogLevel log_level = LogLevel::kInfo;
  LimitsConfig limits;
  // Length of a lifecycle day in seconds: 86,400; tests shorten it (like RGW's
  // rgw_lc_debug_interval) so expiry rules act within seconds.
  int lifecycle_day_seconds = 86'400;
  // How long a replaced or deleted version's data stays in a drive's trash, so a GET that
  // resolved it before the overwrite reads it to its end (1..604,800; default one hour,
  // beyond the 10.5 min a request at the minimum rate may last; tests shorten it).
  int trash_grace_seconds = 3600;
  // Signature Version 2 (header, presigned URL, POST form); off: such requests are refused.
  bool sigv2 = true;
  std::vector<WebhookTarget> notify_webhook;
};

// A validation failure: field is a JSON path such as "drives[2]" or "audit.file" ("config"
// for whole-file problems); reason says what is wrong. Neither ever holds a secret value.
struct ConfigError {
  std::string field;
  std::string reason;
  std::string ToString() const { return field + ": " + reason; }
};

using ConfigResult = std::expected<Config, ConfigError>;

// Parses and validates JSON text. Unknown and duplicate fields are errors.
ConfigResult ParseConfig(std::string_view text);

// Reads path (regular file, at most kMaxConfigBytes) and parses it. The file holds
// root_password, so a world-readable or world-writable file is refused (error, not warning:
// the appliance installs it 0600 and a leaked password cannot be taken back).
ConfigResult LoadConfig(const std::string& path);

// Stable text for a value of the enums above ("signed", "info").
std::string_view MetricsAccessName(MetricsAccess access);
std::string_view LogLevelName(LogLevel level);

}  // namespace flashstor::config
