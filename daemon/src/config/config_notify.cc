// ParseNotifyWebhook: the "notify_webhook" list of the config file (webhook targets of bucket
// event notifications). The endpoint is checked for shape here; the token file is read when
// the engine opens (it is a secret and never enters the Config or a message).
#include <cjson/cJSON.h>

#include <cctype>
#include <cmath>
#include <set>

#include "config_fields.h"

namespace flashstor::config::internal {
namespace {

using Error = std::optional<ConfigError>;

Error Fail(std::string field, std::string reason) {
  return ConfigError{std::move(field), std::move(reason)};
}

bool ValidId(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-') return false;
  }
  return true;
}

Error Whole(const cJSON* v, const std::string& path, double lo, double hi, double& out) {
  if (!cJSON_IsNumber(v) || v->valuedouble != std::floor(v->valuedouble) || v->valuedouble < lo ||
      v->valuedouble > hi) {
    return Fail(path, "must be a whole number from " + std::to_string(static_cast<int64_t>(lo)) +
                          " to " + std::to_string(static_cast<int64_t>(hi)));
  }
  out = v->valuedouble;
  return std::nullopt;
}

Error ParseTarget(const cJSON* obj, const std::string& path, WebhookTarget& t) {
  if (!cJSON_IsObject(obj)) return Fail(path, "must be an object");
  std::set<std::string> seen;
  for (const cJSON* v = obj->child; v != nullptr; v = v->next) {
    const std::string key = v->string != nullptr ? v->string : "";
    const std::string field = path + "." + SafeKey(key);
    if (!seen.insert(key).second) return Fail(field, "duplicate field");
    const bool is_string = cJSON_IsString(v) && v->valuestring != nullptr;
    double n = 0;
    if (key == "id") {
      if (!is_string || !ValidId(v->valuestring)) {
        return Fail(field, "must be 1 to 64 characters of A-Z a-z 0-9 _ -");
      }
      t.id = v->valuestring;
    } else if (key == "endpoint") {
      if (!is_string) return Fail(field, "must be a string");
      std::string_view url = v->valuestring;
      if (!url.starts_with("http://") || url.size() <= 7 || url.size() > 2048) {
        return Fail(field, "must be an http:// URL (https is not supported yet)");
      }
      t.endpoint = v->valuestring;
    } else if (key == "auth_token_file") {
      if (!is_string) return Fail(field, "must be a string");
      std::string reason = CheckAbsolutePath(v->valuestring);
      if (!reason.empty()) return Fail(field, reason);
      t.auth_token_file = v->valuestring;
    } else if (key == "queue_limit") {
      if (Error e = Whole(v, field, 1, 1'000'000, n)) return e;
      t.queue_limit = static_cast<int>(n);
    } else if (key == "queue_bytes_limit") {
      if (Error e = Whole(v, field, 64 * 1024, 64.0 * (1ll << 30), n)) return e;
      t.queue_bytes_limit = static_cast<int64_t>(n);
    } else {
      return Fail(field, "unknown field");
    }
  }
  if (t.id.empty()) return Fail(path + ".id", "required");
  if (t.endpoint.empty()) return Fail(path + ".endpoint", "required");
  return std::nullopt;
}

}  // namespace

std::optional<ConfigError> ParseNotifyWebhook(const cJSON* j, Config& c) {
  if (!cJSON_IsArray(j)) return Fail("notify_webhook", "must be an array");
  if (static_cast<size_t>(cJSON_GetArraySize(j)) > kMaxWebhookTargets) {
    return Fail("notify_webhook", "at most 16 targets");
  }
  std::set<std::string> ids;
  size_t i = 0;
  for (const cJSON* item = j->child; item != nullptr; item = item->next, ++i) {
    const std::string path = "notify_webhook[" + std::to_string(i) + "]";
    WebhookTarget t;
    if (Error e = ParseTarget(item, path, t)) return e;
    if (!ids.insert(t.id).second) return Fail(path + ".id", "duplicate target id");
    c.notify_webhook.push_back(std::move(t));
  }
  return std::nullopt;
}

}  // namespace flashstor::config::internal
