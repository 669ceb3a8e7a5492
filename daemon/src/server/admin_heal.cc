// RunAdminHeal: POST /flashstor/admin/heal through the admin client, one request per target.
#include "flashstor/server/admin_heal.h"

#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "flashstor/server/admin_client.h"

namespace flashstor::server {

const char* AdminHealHelp() {
  return R"(Usage: flashstor admin heal [--endpoint http://HOST:PORT] (TARGET... | --all)

Asks a running server to verify and rebuild missing or corrupt shards. TARGET is BUCKET (every
object in it) or BUCKET/KEY (one object); --all heals every bucket. The endpoint defaults to
$FLASHSTOR_ENDPOINT or http://127.0.0.1:9000; the request is signed with the root credentials
in FLASHSTOR_ROOT_USER / FLASHSTOR_ROOT_PASSWORD. Prints one JSON line per target.
)";
}

int RunAdminHeal(const std::vector<std::string>& args) {
  std::string endpoint = DefaultAdminEndpoint();
  std::vector<std::string> targets;
  bool all = false;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--help" || args[i] == "-h") {
      std::fputs(AdminHealHelp(), stdout);
      return 0;
    }
    if (args[i] == "--endpoint" && i + 1 < args.size()) {
      endpoint = args[++i];
    } else if (args[i] == "--all") {
      all = true;
    } else if (args[i].starts_with("-")) {
      std::fprintf(stderr, "flashstor admin heal: unknown flag %s\n", args[i].c_str());
      return 2;
    } else {
      targets.push_back(args[i]);
    }
  }
  std::optional<AdminEndpoint> ep = ParseAdminEndpoint(endpoint);
  const char* user = std::getenv("FLASHSTOR_ROOT_USER");
  const char* password = std::getenv("FLASHSTOR_ROOT_PASSWORD");
  if (!ep || (targets.empty() != all) || user == nullptr || password == nullptr) {
    std::fputs(AdminHealHelp(), stderr);
    return 2;
  }
  auth::RequestSigner signer(user, password);
  if (all) targets.push_back("");
  int failures = 0;
  for (const std::string& t : targets) {
    size_t slash = t.find('/');
    std::string bucket = t.substr(0, slash);
    std::string key = slash == std::string::npos ? "" : t.substr(slash + 1);
    std::vector<auth::HeaderPair> query;
    if (!bucket.empty()) query.emplace_back("bucket", bucket);
    if (!key.empty()) query.emplace_back("key", key);
    auto [status, body] = AdminRequest(*ep, signer, "POST", "/flashstor/admin/heal", query);
    std::fputs(body.c_str(), stdout);
    if (body.empty() || body.back() != '\n') std::fputc('\n', stdout);
    if (status != 200) {
      std::fprintf(stderr, "flashstor admin heal: %s: HTTP %d\n", t.empty() ? "--all" : t.c_str(),
                   status);
      ++failures;
    }
  }
  return failures == 0 ? 0 : 1;
}

}  // namespace flashstor::server
