// RunAdminKms: `flashstor admin kms SUBCOMMAND [NAME]` as one signed request to
// /flashstor/admin/kms/SUBCOMMAND?name=NAME.
#include "flashstor/server/admin_kms.h"

#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "flashstor/server/admin_client.h"

namespace flashstor::server {
namespace {

struct Subcommand {
  std::string_view name;
  std::string_view method;
  bool needs_key;
};

constexpr Subcommand kSubcommands[] = {
    {"create-key", "POST", true}, {"list-keys", "GET", false},   {"key-status", "GET", true},
    {"rotate-key", "POST", true}, {"disable-key", "POST", true}, {"enable-key", "POST", true},
};

}  // namespace

const char* AdminKmsHelp() {
  return R"(Usage: flashstor admin kms [--endpoint http://HOST:PORT] SUBCOMMAND [NAME]

Manages the SSE-KMS keys of a running server (which needs a master key: --sse-master-key-file
or the systemd credential sse-master-key). SUBCOMMAND:
  create-key NAME    a new key (NAME: 1 to 64 of A-Z a-z 0-9 _ -)
  list-keys          every key
  key-status NAME    one key: state, versions, creation and rotation times
  rotate-key NAME    a new version seals new objects; older versions still open old ones
  disable-key NAME   objects under the key can be neither written nor read
  enable-key NAME    undoes disable-key
The endpoint defaults to $FLASHSTOR_ENDPOINT or http://127.0.0.1:9000; the request is signed
with the root credentials in FLASHSTOR_ROOT_USER / FLASHSTOR_ROOT_PASSWORD. Prints the
server's JSON answer.
)";
}

int RunAdminKms(const std::vector<std::string>& args) {
  std::string endpoint = DefaultAdminEndpoint();
  std::vector<std::string> words;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--help" || args[i] == "-h") {
      std::fputs(AdminKmsHelp(), stdout);
      return 0;
    }
    if (args[i] == "--endpoint" && i + 1 < args.size()) {
      endpoint = args[++i];
    } else if (args[i].starts_with("-")) {
      std::fprintf(stderr, "flashstor admin kms: unknown flag %s\n", args[i].c_str());
      return 2;
    } else {
      words.push_back(args[i]);
    }
  }
  const Subcommand* sub = nullptr;
  for (const Subcommand& s : kSubcommands) {
    if (!words.empty() && words[0] == s.name) sub = &s;
  }
  std::optional<AdminEndpoint> ep = ParseAdminEndpoint(endpoint);
  const char* user = std::getenv("FLASHSTOR_ROOT_USER");
  const char* password = std::getenv("FLASHSTOR_ROOT_PASSWORD");
  if (sub == nullptr || words.size() != (sub->needs_key ? 2u : 1u) || !ep || user == nullptr ||
      password == nullptr) {
    std::fputs(AdminKmsHelp(), stderr);
    return 2;
  }
  auth::RequestSigner signer(user, password);
  std::vector<auth::HeaderPair> query;
  if (sub->needs_key) query.emplace_back("name", words[1]);
  const std::string path = "/flashstor/admin/kms/" + std::string(sub->name);
  auto [status, body] = AdminRequest(*ep, signer, sub->method, path, query);
  std::fputs(body.c_str(), stdout);
  if (body.empty() || body.back() != '\n') std::fputc('\n', stdout);
  if (status != 200) {
    std::fprintf(stderr, "flashstor admin kms %s: HTTP %d\n", words[0].c_str(), status);
    return 1;
  }
  return 0;
}

}  // namespace flashstor::server
