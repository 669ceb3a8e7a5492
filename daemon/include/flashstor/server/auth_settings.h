// Start-up pieces of STS and the /metrics bearer token: command-line overrides of the config's
// sts and metrics fields, the web identity verifier built from the JWKS file, the metrics
// token read from its file (or the systemd credential), and the Prometheus scrape entry.
#pragma once

#include <expected>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "flashstor/config/config.h"
#include "flashstor/iam/jwt_verifier.h"
#include "flashstor/server/cli.h"

namespace flashstor::server {

inline constexpr size_t kMaxMetricsTokenBytes = 4096;
inline constexpr size_t kMinMetricsTokenBytes = 16;

// Applies --sts-* and --metrics-* over cfg; an error names the flag.
std::optional<std::string> ApplyStsAndMetricsArgs(const ServerArgs& args, config::Config& cfg);

// nullptr when web identity is not configured; an error when it is but cannot be used.
std::expected<std::shared_ptr<const iam::JwtVerifier>, std::string> LoadWebIdentity(
    const config::StsSettings& sts);

// The bearer token for metrics_access "token": metrics_token_file, else
// $CREDENTIALS_DIRECTORY/metrics_token. Trailing whitespace is dropped; 16..4096 bytes of
// printable ASCII. The error never contains the token.
std::expected<std::string, std::string> LoadMetricsToken(const config::Config& cfg);

// A Prometheus scrape_configs entry (YAML) for this server: bearer token from
// credentials_file, target host:port, http or https.
std::string PrometheusScrapeConfig(const std::string& target, bool tls,
                                   const std::string& credentials_file);

// `flashstor admin prometheus-config [--target HOST:PORT] [--tls] [--credentials-file F]`:
// prints PrometheusScrapeConfig (defaults localhost:9000, http,
// /etc/prometheus/flashstor-metrics-token). Exit status 0, or 2 for a bad flag.
int RunPrometheusConfig(const std::vector<std::string>& args);

}  // namespace flashstor::server
