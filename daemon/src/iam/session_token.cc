// Session token sealing: claims to JSON (cJSON), sealed by the same AES-256-GCM routine as
// secret keys (secret_seal.cc) under a key of its own.
#include "flashstor/iam/session_token.h"

#include <cjson/cJSON.h>

#include <memory>
#include "json_string.h"

namespace flashstor::iam {
namespace {

constexpr std::string_view kAad = "flashstor-sts-v1";
using JsonPtr = std::unique_ptr<cJSON, decltype(&cJSON_Delete)>;

}  // namespace

std::string AssumedRoleArn(std::string_view role_name, std::string_view session_name) {
  return "arn:aws:sts::000000000000:assumed-role/" + std::string(role_name) + "/" +
         std::string(session_name);
}

std::optional<SealKey> DeriveSessionKey(std::string_view root_secret) {
  return DeriveKey(root_secret, "flashstor-sts", "session-tokens-v1");
}

std::optional<std::string> SealSessionToken(const SealKey& key, const SessionClaims& c) {
  JsonPtr root(cJSON_CreateObject(), cJSON_Delete);
  cJSON_AddStringToObject(root.get(), "ak", c.access_key.c_str());
  cJSON_AddStringToObject(root.get(), "sk", c.secret_key.c_str());
  cJSON_AddNumberToObject(root.get(), "exp", static_cast<double>(c.expiration));
  cJSON_AddStringToObject(root.get(), "role", c.role_name.c_str());
  cJSON_AddStringToObject(root.get(), "rid", c.role_id.c_str());
  cJSON_AddStringToObject(root.get(), "name", c.session_name.c_str());
  cJSON_AddStringToObject(root.get(), "src", c.source.c_str());
  if (!c.policy.empty()) cJSON_AddStringToObject(root.get(), "pol", c.policy.c_str());
  cJSON* arns = cJSON_AddArrayToObject(root.get(), "arns");
  for (const std::string& a : c.policy_arns)
    cJSON_AddItemToArray(arns, cJSON_CreateString(a.c_str()));
  char* text = cJSON_PrintUnformatted(root.get());
  if (text == nullptr) return std::nullopt;
  std::string json(text);
  cJSON_free(text);
  std::optional<std::string> sealed = SealSecret(key, json, kAad);
  if (!sealed || sealed->size() > kMaxSessionTokenBytes) return std::nullopt;
  return sealed;
}

std::optional<SessionClaims> OpenSessionToken(const SealKey& key, std::string_view token) {
  if (token.empty() || token.size() > kMaxSessionTokenBytes) return std::nullopt;
  std::optional<std::string> json = OpenSecret(key, token, kAad);
  if (!json) return std::nullopt;
  JsonPtr root(cJSON_ParseWithLength(json->data(), json->size()), cJSON_Delete);
  if (root == nullptr || !cJSON_IsObject(root.get())) return std::nullopt;
  SessionClaims c;
  c.access_key = JsonString(root.get(), "ak");
  c.secret_key = JsonString(root.get(), "sk");
  const cJSON* exp = cJSON_GetObjectItemCaseSensitive(root.get(), "exp");
  if (!cJSON_IsNumber(exp)) return std::nullopt;
  c.expiration = static_cast<int64_t>(exp->valuedouble);
  c.role_name = JsonString(root.get(), "role");
  c.role_id = JsonString(root.get(), "rid");
  c.session_name = JsonString(root.get(), "name");
  c.source = JsonString(root.get(), "src");
  c.policy = JsonString(root.get(), "pol");
  const cJSON* a = nullptr;
  cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(root.get(), "arns")) {
    if (cJSON_IsString(a)) c.policy_arns.emplace_back(a->valuestring);
  }
  if (c.access_key.empty() || c.secret_key.empty() || c.role_name.empty()) return std::nullopt;
  return c;
}

}  // namespace flashstor::iam
