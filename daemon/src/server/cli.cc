// Command-line parsing for `flashstor` and its subcommands.
#include "flashstor/server/cli.h"

#include <charconv>
#include <string_view>

#include "flashstor/config/ellipsis.h"

namespace flashstor::server {
namespace {

std::expected<int, std::string> ParseInt(std::string_view flag, std::string_view text, int lo,
                                         int hi) {
  int v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || p != text.data() + text.size() || v < lo || v > hi) {
    return std::unexpected(std::string(flag) + ": expected a number from " + std::to_string(lo) +
                           " to " + std::to_string(hi) + ", got '" + std::string(text) + "'");
  }
  return v;
}

const LimitFlag* FindLimitFlag(std::string_view flag) {
  for (const LimitFlag& row : LimitFlags()) {
    if (row.flag == flag) return &row;
  }
  return nullptr;
}

std::expected<CliResult, std::string> ParseServer(const std::vector<std::string>& args, size_t i) {
  CliResult r;
  r.command = Command::kServer;
  ServerArgs& s = r.server;
  for (; i < args.size(); ++i) {
    std::string_view a = args[i];
    if (a == "--help" || a == "-h") {
      r.command = Command::kServerHelp;
      return r;
    }
    if (a == "--allow-root") {
      s.allow_root = true;
      continue;
    }
    if (a == "--sse-c-allow-http") {
      s.sse_c_allow_http = true;
      continue;
    }
    if (a.starts_with("--")) {
      std::string flag(a);
      std::string value;
      if (size_t eq = flag.find('='); eq != std::string::npos) {
        value = flag.substr(eq + 1);
        flag.resize(eq);
      } else {
        if (i + 1 >= args.size()) return std::unexpected(flag + " needs a value");
        value = args[++i];
      }
      if (flag == "--address") {
        s.addresses.push_back(value);
      } else if (flag == "--tls-address") {
        s.tls_addresses.push_back(value);
      } else if (flag == "--config") {
        s.config_file = value;
      } else if (flag == "--certs-dir") {
        s.certs_dir = value;
      } else if (flag == "--sse-master-key-file") {
        s.sse_master_key_file = value;
      } else if (flag == "--domain") {
        s.domain = value;
      } else if (flag == "--region") {
        s.region = value;
      } else if (flag == "--seccomp") {
        if (value != "enforce" && value != "log") {
          return std::unexpected(std::string("--seccomp: expected enforce or log"));
        }
        s.seccomp_log_only = value == "log";
      } else if (flag == "--sigv2") {
        if (value != "on" && value != "off") {
          return std::unexpected(std::string("--sigv2: expected on or off"));
        }
        s.sigv2 = value == "on";
      } else if (flag == "--log-level") {
        s.log_level = value;
      } else if (flag == "--parity") {
        auto v = ParseInt(flag, value, 0, 8);
        if (!v) return std::unexpected(v.error());
        s.parity = *v;
      } else if (flag == "--lifecycle-day-seconds") {
        auto v = ParseInt(flag, value, 1, 86'400);
        if (!v) return std::unexpected(v.error());
        s.lifecycle_day_seconds = *v;
      } else if (flag == "--trash-grace-seconds") {
        auto v = ParseInt(flag, value, 1, 604'800);
        if (!v) return std::unexpected(v.error());
        s.trash_grace_seconds = *v;
      } else if (flag == "--sts-min-duration-seconds") {
        auto v = ParseInt(flag, value, 1, 900);
        if (!v) return std::unexpected(v.error());
        s.sts_min_duration_seconds = *v;
      } else if (flag == "--sts-jwks-file") {
        s.sts_jwks_file = value;
      } else if (flag == "--sts-issuer") {
        s.sts_issuer = value;
      } else if (flag == "--sts-audience") {
        s.sts_audiences.push_back(value);
      } else if (flag == "--metrics-access") {
        s.metrics_access = value;
      } else if (flag == "--metrics-token-file") {
        s.metrics_token_file = value;
      } else if (flag == "--workers") {
        auto v = ParseInt(flag, value, 1, 4096);
        if (!v) return std::unexpected(v.error());
        s.workers = *v;
      } else if (flag == "--event-loops") {
        auto v = ParseInt(flag, value, 1, 256);
        if (!v) return std::unexpected(v.error());
        s.event_loops = *v;
      } else if (const LimitFlag* limit = FindLimitFlag(flag)) {
        auto v = ParseInt(flag, value, 0, 7 * 24 * 3600);
        if (!v) return std::unexpected(v.error());
        s.limits.*limit->field = *v;
      } else {
        return std::unexpected("unknown flag " + flag + " (see 'flashstor server --help')");
      }
      continue;
    }
    if (a.starts_with("-")) {
      return std::unexpected("unknown flag " + std::string(a) + " (see 'flashstor server --help')");
    }
    auto expanded = config::ExpandEllipsis(a);
    if (!expanded) return std::unexpected("'" + std::string(a) + "': " + expanded.error());
    for (std::string& d : *expanded) s.drives.push_back(std::move(d));
  }
  return r;
}

}  // namespace

std::span<const LimitFlag> LimitFlags() {
  using L = config::LimitsConfig;
  static constexpr LimitFlag kFlags[] = {
      {"--request-memory", &L::request_memory_mib},
      {"--admission-timeout", &L::admission_timeout_s},
      {"--operation-timeout", &L::operation_timeout_s},
      {"--request-timeout", &L::request_timeout_s},
      {"--request-timeout-rate", &L::request_timeout_kib_per_s},
      {"--min-rate", &L::min_rate_kib},
      {"--min-rate-window", &L::min_rate_window_s},
      {"--max-requests-per-client", &L::max_requests_per_client},
      {"--stall-restart", &L::stall_restart_s},
      {"--http2-max-streams", &L::http2_max_streams},
      {"--drive-timeout", &L::drive_timeout_s},
      {"--drive-meta-timeout", &L::drive_meta_timeout_s},
      {"--drive-probe-interval", &L::drive_probe_interval_s},
  };
  return kFlags;
}

std::expected<CliResult, std::string> ParseCommandLine(const std::vector<std::string>& args) {
  CliResult r;
  if (args.empty()) return r;
  std::string_view cmd = args[0];
  if (cmd == "--help" || cmd == "-h" || cmd == "help") return r;
  if (cmd == "--version" || cmd == "version") {
    r.command = Command::kVersion;
    return r;
  }
  if (cmd == "server") return ParseServer(args, 1);
  if (cmd == "config") {
    if (args.size() == 3 && args[1] == "check") {
      r.command = Command::kConfigCheck;
      r.config_path = args[2];
      return r;
    }
    return std::unexpected(std::string("usage: flashstor config check FILE"));
  }
  if (cmd == "admin") {
    if (args.size() >= 2 && args[1] == "heal") {
      r.command = Command::kAdminHeal;
      r.heal_targets.assign(args.begin() + 2, args.end());
      return r;
    }
    if (args.size() >= 2 && args[1] == "kms") {
      r.command = Command::kAdminKms;
      r.admin_args.assign(args.begin() + 2, args.end());
      return r;
    }
    if (args.size() >= 2 && args[1] == "prometheus-config") {
      r.command = Command::kAdminPrometheusConfig;
      r.admin_args.assign(args.begin() + 2, args.end());
      return r;
    }
    return std::unexpected(
        std::string("usage: flashstor admin heal [--endpoint URL] TARGET... | flashstor admin "
                    "kms SUBCOMMAND [NAME] | flashstor admin prometheus-config"));
  }
  return std::unexpected("unknown command '" + std::string(cmd) + "' (see 'flashstor --help')");
}

const char* MainHelp() {
  return R"(flashstor: an S3-compatible, erasure-coded object store.

Usage:
  flashstor server [FLAGS] DRIVE...      serve S3 on the given drive folders
  flashstor config check FILE            validate a JSON configuration file
  flashstor admin heal TARGET...         heal a bucket or object through a running server
  flashstor admin kms SUBCOMMAND [NAME]  SSE-KMS keys of a running server: create-key,
                                         list-keys, key-status, rotate-key, disable-key,
                                         enable-key ('flashstor admin kms --help')
  flashstor admin prometheus-config [--target HOST:PORT] [--tls] [--credentials-file FILE]
                                         print a Prometheus scrape_configs entry using the
                                         /metrics bearer token (metrics_access "token")
  flashstor --version                    print the version
  flashstor --help                       this text

Run 'flashstor server --help' for server flags. Credentials come from the environment:
  FLASHSTOR_ROOT_USER       root access key (3 to 128 characters)
  FLASHSTOR_ROOT_PASSWORD   root secret key (8 to 128 characters)
)";
}

const char* ServerHelp() {
  return R"(Usage: flashstor server [FLAGS] DRIVE...

DRIVE is a directory; {FIRST...LAST} expands, e.g. /data/disk{1...4}. Drives are grouped
into erasure sets; each object is spread over one set with Reed-Solomon parity.

Flags:
  --address HOST:PORT      plain HTTP listen address (repeatable; default 0.0.0.0:9000;
                           port 0 picks a free port, printed at start-up)
  --tls-address HOST:PORT  HTTPS listen address (repeatable; needs --certs-dir)
  --certs-dir DIR          TLS material: DIR/public.crt, DIR/private.key, DIR/<host>/ for SNI
  --config FILE            JSON configuration (see rootfs-overlay/etc/flashstor/)
  --domain DOMAIN          enable virtual-hosted-style requests (bucket.DOMAIN)
  --region REGION          region for SigV4 and GetBucketLocation (default us-east-1)
  --parity N               parity shards per erasure set (default by set size)
  --sigv2 on|off           accept AWS Signature Version 2 (default on)
  --lifecycle-day-seconds N  length of a lifecycle day, for tests (default 86400)
  --trash-grace-seconds N  how long replaced data stays readable for GETs in progress
                           before it is collected (1..604800; default 3600)
  --sse-master-key-file F  SSE-S3 master key, also sealing the SSE-KMS key store: 32 bytes
                           or 64 hex digits, owner-only file (default: the systemd
                           credential sse-master-key, if any)
  --sse-c-allow-http       accept SSE-C keys over plain HTTP (tests; AWS requires TLS)
  --sts-min-duration-seconds N  TEST ONLY: shortest STS session accepted (1..900; default
                           900 as AWS), so tests see temporary credentials expire
  --sts-jwks-file FILE     web identity: the OIDC issuer's keys (JWKS, RS256/ES256)
  --sts-issuer URL         web identity: the tokens' iss
  --sts-audience AUD       web identity: an accepted aud (repeatable)
  --metrics-access MODE    /metrics: signed (SigV4, default), public, or token (Bearer)
  --metrics-token-file F   the bearer token for --metrics-access token (never logged;
                           default $CREDENTIALS_DIRECTORY/metrics_token)
  --workers N              requests in flight at once, each a task on an event loop
                           (default request memory / 64 KiB)
  --request-memory M       MiB the requests in flight may hold; large transfers wait for
                           their share of it (default 8)
  --admission-timeout S    a request waiting that long for admission or memory is answered
                           503 SlowDown (default 10)
  --operation-timeout S    the server's own time for a request (lock waits, drives), on top
                           of its body at --request-timeout-rate; then 503 SlowDown
                           (default 60; 0: no deadline)
  --event-loops N          epoll event loops (default 2 x cores)
  --log-level LEVEL        debug, info, notice, warning, error (default info)
  --request-timeout S      total time a request may wait on its client, before the rate
                           credit below (default 600; 0: none)
  --request-timeout-rate K each K KiB moved adds 1 s to that deadline (default 64)
  --min-rate K             a client must move K KiB per window while we wait on it, either
                           direction, or it is cut off (default 32; 0: no minimum)
  --min-rate-window S      the window of --min-rate, in seconds of waiting (default 10)
  --max-requests-per-client N  requests in flight per client address; beyond, 503 SlowDown
                           (default 0: max(4, workers / 2))
  --stall-restart S        stop pinging the systemd watchdog when requests wait for admission
                           and none has progressed for S seconds (default 60; 0: never)
  --http2-max-streams N    HTTP/2 requests in flight per connection (h2 by ALPN, h2c with
                           prior knowledge); more are refused (default 100; 0: HTTP/2 off)
  --drive-timeout S        a drive call moving data that takes longer takes the drive
                           offline (default 30)
  --drive-meta-timeout S   the same for metadata calls and the health probe (default 5)
  --drive-probe-interval S an offline drive is probed (or reconnected) this often (default 5)
  --seccomp MODE            enforce (default: forbidden syscalls kill the daemon) or log
                           (allowed but logged by the kernel; for debugging and profiling)
  --allow-root             keep serving as root when no run user is configured
  -h, --help               this text

Environment:
  FLASHSTOR_ROOT_USER, FLASHSTOR_ROOT_PASSWORD   root credentials (required)
  FLASHSTORE_RUN_USER, FLASHSTORE_RUN_GROUP      user/group to switch to when started as root
Under systemd, listening sockets named "http" and "https" are taken from socket activation.
)";
}

}  // namespace flashstor::server
