// ResolveSettings: config file first, then command-line overrides, then defaults.
#include "flashstor/server/settings.h"

#include "flashstor/server/auth_settings.h"

namespace flashstor::server {

std::expected<config::Config, std::string> ResolveSettings(const ServerArgs& args) {
  config::Config cfg;
  if (!args.config_file.empty()) {
    config::ConfigResult loaded = config::LoadConfig(args.config_file);
    if (!loaded) return std::unexpected(args.config_file + ": " + loaded.error().ToString());
    cfg = std::move(*loaded);
  }
  if (!args.drives.empty()) cfg.drives = args.drives;
  if (!args.addresses.empty() || !args.tls_addresses.empty()) {
    cfg.listen.clear();
    for (const std::string& a : args.addresses) cfg.listen.push_back({a, false});
    for (const std::string& a : args.tls_addresses) cfg.listen.push_back({a, true});
  }
  if (cfg.listen.empty()) cfg.listen.push_back({"0.0.0.0:9000", false});
  if (!args.certs_dir.empty()) cfg.certs_dir = args.certs_dir;
  if (!args.domain.empty()) cfg.domain = args.domain;
  if (!args.region.empty()) cfg.region = args.region;
  if (args.sigv2) cfg.sigv2 = *args.sigv2;
  if (args.parity) cfg.parity = args.parity;
  if (args.lifecycle_day_seconds) cfg.lifecycle_day_seconds = *args.lifecycle_day_seconds;
  if (args.trash_grace_seconds) cfg.trash_grace_seconds = *args.trash_grace_seconds;
  if (auto error = ApplyStsAndMetricsArgs(args, cfg)) return std::unexpected(*error);
  // cli.cc's table is the one list of limit flags: each overrides the field it parsed into.
  for (const LimitFlag& row : LimitFlags()) {
    if (args.limits.*row.field) cfg.limits.*row.field = args.limits.*row.field;
  }
  if (cfg.limits.http2_max_streams && *cfg.limits.http2_max_streams > 1000) {
    return std::unexpected(std::string("--http2-max-streams: at most 1000"));
  }
  if (cfg.limits.min_rate_window_s && *cfg.limits.min_rate_window_s < 1) {
    return std::unexpected(std::string("--min-rate-window: must be at least 1 second"));
  }
  // A zero drive deadline would take every drive offline at its first call.
  const std::pair<const char*, std::optional<int>> drive_limits[] = {
      {"--drive-timeout", cfg.limits.drive_timeout_s},
      {"--drive-meta-timeout", cfg.limits.drive_meta_timeout_s},
      {"--drive-probe-interval", cfg.limits.drive_probe_interval_s}};
  for (const auto& [flag, value] : drive_limits) {
    if (value && (*value < 1 || *value > 3600)) {
      return std::unexpected(std::string(flag) + ": must be from 1 to 3600 seconds");
    }
  }
  if (!args.log_level.empty()) {
    static constexpr std::pair<std::string_view, config::LogLevel> kLevels[] = {
        {"error", config::LogLevel::kError},
        {"warning", config::LogLevel::kWarning},
        {"notice", config::LogLevel::kNotice},
        {"info", config::LogLevel::kInfo},
        {"debug", config::LogLevel::kDebug}};
    bool found = false;
    for (const auto& [name, level] : kLevels) {
      if (args.log_level == name) {
        cfg.log_level = level;
        found = true;
      }
    }
    if (!found)
      return std::unexpected("--log-level: expected error, warning, notice, info or debug");
  }
  if (cfg.drives.empty())
    return std::unexpected(std::string("no drives given (see 'flashstor server --help')"));
  for (const config::Listener& l : cfg.listen) {
    if (l.tls && cfg.certs_dir.empty()) {
      return std::unexpected("listener " + l.address + ": TLS needs --certs-dir");
    }
  }
  return cfg;
}

}  // namespace flashstor::server
