// ApplyStsAndMetricsArgs, LoadWebIdentity, LoadMetricsToken, PrometheusScrapeConfig.
#include "flashstor/server/auth_settings.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace flashstor::server {
namespace {

// Reads a small file whole; nullopt when it cannot be read or exceeds max bytes.
std::optional<std::string> ReadSmallFile(const std::string& path, size_t max) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::string out(max + 1, '\0');
  in.read(out.data(), static_cast<std::streamsize>(out.size()));
  out.resize(static_cast<size_t>(in.gcount()));
  if (out.size() > max) return std::nullopt;
  return out;
}

}  // namespace

std::optional<std::string> ApplyStsAndMetricsArgs(const ServerArgs& args, config::Config& cfg) {
  if (args.sts_min_duration_seconds) cfg.sts.min_duration_seconds = *args.sts_min_duration_seconds;
  if (!args.sts_jwks_file.empty()) cfg.sts.jwks_file = args.sts_jwks_file;
  if (!args.sts_issuer.empty()) cfg.sts.issuer = args.sts_issuer;
  if (!args.sts_audiences.empty()) cfg.sts.audiences = args.sts_audiences;
  if (!args.metrics_token_file.empty()) cfg.metrics_token_file = args.metrics_token_file;
  if (!args.metrics_access.empty()) {
    if (args.metrics_access == "signed") {
      cfg.metrics_access = config::MetricsAccess::kSigned;
    } else if (args.metrics_access == "public") {
      cfg.metrics_access = config::MetricsAccess::kPublic;
    } else if (args.metrics_access == "token") {
      cfg.metrics_access = config::MetricsAccess::kToken;
    } else {
      return "--metrics-access: expected signed, public or token";
    }
  }
  const bool any = !cfg.sts.jwks_file.empty() || !cfg.sts.issuer.empty();
  if (any && (cfg.sts.jwks_file.empty() || cfg.sts.issuer.empty() || cfg.sts.audiences.empty())) {
    return "sts.web_identity: jwks_file, issuer and audiences go together";
  }
  return std::nullopt;
}

std::expected<std::shared_ptr<const iam::JwtVerifier>, std::string> LoadWebIdentity(
    const config::StsSettings& sts) {
  if (sts.jwks_file.empty()) return std::shared_ptr<const iam::JwtVerifier>();
  std::optional<std::string> jwks = ReadSmallFile(sts.jwks_file, iam::kMaxJwksBytes);
  if (!jwks) return std::unexpected(sts.jwks_file + ": unreadable or larger than 256 KiB");
  iam::WebIdentitySettings settings{sts.issuer, sts.audiences, sts.skew_seconds};
  auto verifier = iam::JwtVerifier::Create(std::move(settings), *jwks);
  if (!verifier) return std::unexpected(sts.jwks_file + ": " + verifier.error());
  return std::shared_ptr<const iam::JwtVerifier>(std::move(*verifier));
}

std::expected<std::string, std::string> LoadMetricsToken(const config::Config& cfg) {
  std::string path = cfg.metrics_token_file;
  if (path.empty()) {
    const char* dir = std::getenv("CREDENTIALS_DIRECTORY");
    if (dir == nullptr || *dir == '\0') {
      return std::unexpected(
          "metrics_access \"token\" needs metrics_token_file or a systemd credential "
          "named metrics_token");
    }
    path = std::string(dir) + "/metrics_token";
  }
  std::optional<std::string> token = ReadSmallFile(path, kMaxMetricsTokenBytes + 2);
  if (!token) return std::unexpected(path + ": unreadable or too large");
  while (!token->empty() && (token->back() == '\n' || token->back() == '\r' ||
                             token->back() == ' ' || token->back() == '\t')) {
    token->pop_back();
  }
  if (token->size() < kMinMetricsTokenBytes || token->size() > kMaxMetricsTokenBytes) {
    return std::unexpected(path + ": the token must be 16 to 4096 characters");
  }
  for (char c : *token) {
    if (c < 0x21 || c > 0x7e) {
      return std::unexpected(path + ": the token must be printable ASCII without spaces");
    }
  }
  return *token;
}

std::string PrometheusScrapeConfig(const std::string& target, bool tls,
                                   const std::string& credentials_file) {
  std::ostringstream out;
  out << "scrape_configs:\n"
      << "  - job_name: flashstor\n"
      << "    metrics_path: /metrics\n"
      << "    scheme: " << (tls ? "https" : "http") << "\n"
      << "    authorization:\n"
      << "      type: Bearer\n"
      << "      credentials_file: " << credentials_file << "\n"
      << "    static_configs:\n"
      << "      - targets: ['" << target << "']\n";
  return out.str();
}

int RunPrometheusConfig(const std::vector<std::string>& args) {
  std::string target = "localhost:9000";
  std::string credentials = "/etc/prometheus/flashstor-metrics-token";
  bool tls = false;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--tls") {
      tls = true;
    } else if ((args[i] == "--target" || args[i] == "--credentials-file") && i + 1 < args.size()) {
      (args[i] == "--target" ? target : credentials) = args[i + 1];
      ++i;
    } else {
      std::fprintf(stderr,
                   "usage: flashstor admin prometheus-config [--target HOST:PORT] [--tls] "
                   "[--credentials-file FILE]\n");
      return 2;
    }
  }
  std::fputs(PrometheusScrapeConfig(target, tls, credentials).c_str(), stdout);
  return 0;
}

}  // namespace flashstor::server
