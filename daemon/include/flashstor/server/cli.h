// Command-line interface of the flashstor binary: subcommands, flags and their help texts.
// Parsing is pure (no side effects) so it is unit-tested; unknown flags are errors.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "flashstor/common/status.h"
#include "flashstor/config/config.h"

namespace flashstor::server {

struct ServerArgs {
  std::vector<std::string> addresses;  // plain HTTP listen addresses ("host:port")
  std::vector<std::string> tls_addresses;
  std::string config_file;
  std::string certs_dir;
  std::string domain;
  std::string region;
  std::vector<std::string> drives;  // after {a...b} expansion
  std::optional<int> parity;
  std::optional<int> lifecycle_day_seconds;
  std::optional<int> trash_grace_seconds;
  std::optional<bool> sigv2;        // --sigv2 on|off
  std::string sse_master_key_file;  // empty: the systemd credential, or no SSE-S3
  bool sse_c_allow_http = false;
  // TEST ONLY: shortest STS session (default 900 as AWS) so tests see sessions expire.
  std::optional<int> sts_min_duration_seconds;
  std::string sts_jwks_file, sts_issuer;  // web identity (override the file's sts.web_identity)
  std::vector<std::string> sts_audiences;
  std::string metrics_access;  // "signed", "public" or "token"
  std::string metrics_token_file;
  int workers = 0;
  int event_loops = 0;
  bool allow_root = false;
  bool seccomp_log_only = false;  // --seccomp log: debugging/profiling (valgrind), never default
  std::string log_level;
  config::LimitsConfig limits;  // --request-timeout, --min-rate, ... (override the file)
};

enum class Command {
  kHelp,
  kVersion,
  kServer,
  kServerHelp,
  kConfigCheck,
  kAdminHeal,
  kAdminKms,
  kAdminPrometheusConfig
};

struct CliResult {
  Command command = Command::kHelp;
  ServerArgs server;
  std::string config_path;                // config check
  std::vector<std::string> heal_targets;  // admin heal: endpoint and bucket[/key]
  std::vector<std::string> admin_args;    // admin prometheus-config, admin kms: their args
};

// A flag that bounds what one client may take of the request tasks (config "limits"): its
// value is parsed into ServerArgs::limits.*field and ResolveSettings copies that same field
// over the config file's, so a row here is all a new limit flag needs.
struct LimitFlag {
  std::string_view flag;  // "--request-timeout"
  std::optional<int> config::LimitsConfig::*field;
};
// Every limit flag, in the order of the help text.
std::span<const LimitFlag> LimitFlags();

// Parses argv (without argv[0]); the error message says what was wrong and how to get help.
std::expected<CliResult, std::string> ParseCommandLine(const std::vector<std::string>& args);

const char* MainHelp();
const char* ServerHelp();

}  // namespace flashstor::server
