// EncodeIamRecord / DecodeIamRecord: users, keys (sealed), inline and attached policies,
// groups, managed policies and roles to and from JSON with cJSON.
#include "iam_record.h"

#include <cjson/cJSON.h>

#include <memory>
#include "json_string.h"

namespace flashstor::iam::internal {
namespace {

using JsonPtr = std::unique_ptr<cJSON, decltype(&cJSON_Delete)>;

void AddStrings(cJSON* obj, const char* name, const std::vector<std::string>& list) {
  cJSON* arr = cJSON_AddArrayToObject(obj, name);
  for (const std::string& s : list) cJSON_AddItemToArray(arr, cJSON_CreateString(s.c_str()));
}

void AddInline(cJSON* obj, const InlinePolicies& p) {
  cJSON* map = cJSON_AddObjectToObject(obj, "inline");
  for (const auto& [name, doc] : p.documents)
    cJSON_AddStringToObject(map, name.c_str(), doc.c_str());
}

int64_t Int(const cJSON* obj, const char* name) {
  const cJSON* v = cJSON_GetObjectItemCaseSensitive(obj, name);
  if (cJSON_IsString(v)) return std::strtoll(v->valuestring, nullptr, 10);
  return cJSON_IsNumber(v) ? static_cast<int64_t>(v->valuedouble) : 0;
}

std::vector<std::string> Strings(const cJSON* obj, const char* name) {
  std::vector<std::string> out;
  const cJSON* arr = cJSON_GetObjectItemCaseSensitive(obj, name);
  const cJSON* v = nullptr;
  cJSON_ArrayForEach(v, arr) {
    if (cJSON_IsString(v)) out.emplace_back(v->valuestring);
  }
  return out;
}

InlinePolicies Inline(const cJSON* obj) {
  InlinePolicies out;
  const cJSON* map = cJSON_GetObjectItemCaseSensitive(obj, "inline");
  const cJSON* v = nullptr;
  cJSON_ArrayForEach(v, map) {
    if (cJSON_IsString(v)) out.documents[v->string] = v->valuestring;
  }
  return out;
}

}  // namespace

std::optional<std::string> EncodeIamRecord(const IamState& state, const SealKey& key) {
  JsonPtr root(cJSON_CreateObject(), cJSON_Delete);
  cJSON_AddStringToObject(root.get(), "updated", std::to_string(state.updated_ns).c_str());
  cJSON* users = cJSON_AddArrayToObject(root.get(), "users");
  for (const auto& [name, u] : state.users) {
    cJSON* o = cJSON_CreateObject();
    cJSON_AddItemToArray(users, o);
    cJSON_AddStringToObject(o, "name", u.name.c_str());
    cJSON_AddStringToObject(o, "id", u.id.c_str());
    cJSON_AddStringToObject(o, "path", u.path.c_str());
    cJSON_AddNumberToObject(o, "created", static_cast<double>(u.created));
    cJSON* keys = cJSON_AddArrayToObject(o, "keys");
    for (const AccessKey& k : u.keys) {
      std::optional<std::string> sealed = SealSecret(key, k.secret, k.id);
      if (!sealed) return std::nullopt;
      cJSON* ko = cJSON_CreateObject();
      cJSON_AddItemToArray(keys, ko);
      cJSON_AddStringToObject(ko, "id", k.id.c_str());
      cJSON_AddStringToObject(ko, "sealed", sealed->c_str());
      cJSON_AddBoolToObject(ko, "active", k.active);
      cJSON_AddNumberToObject(ko, "created", static_cast<double>(k.created));
    }
    AddInline(o, u.inline_policies);
    AddStrings(o, "attached", u.attached);
    AddStrings(o, "groups", u.groups);
  }
  cJSON* groups = cJSON_AddArrayToObject(root.get(), "groups");
  for (const auto& [name, g] : state.groups) {
    cJSON* o = cJSON_CreateObject();
    cJSON_AddItemToArray(groups, o);
    cJSON_AddStringToObject(o, "name", g.name.c_str());
    cJSON_AddStringToObject(o, "id", g.id.c_str());
    cJSON_AddStringToObject(o, "path", g.path.c_str());
    cJSON_AddNumberToObject(o, "created", static_cast<double>(g.created));
    AddInline(o, g.inline_policies);
    AddStrings(o, "attached", g.attached);
  }
  cJSON* policies = cJSON_AddArrayToObject(root.get(), "policies");
  for (const auto& [arn, p] : state.policies) {
    cJSON* o = cJSON_CreateObject();
    cJSON_AddItemToArray(policies, o);
    cJSON_AddStringToObject(o, "name", p.name.c_str());
    cJSON_AddStringToObject(o, "id", p.id.c_str());
    cJSON_AddStringToObject(o, "arn", p.arn.c_str());
    cJSON_AddStringToObject(o, "path", p.path.c_str());
    cJSON_AddStringToObject(o, "description", p.description.c_str());
    cJSON_AddStringToObject(o, "document", p.document.c_str());
    cJSON_AddNumberToObject(o, "created", static_cast<double>(p.created));
    cJSON_AddNumberToObject(o, "updated", static_cast<double>(p.updated));
  }
  cJSON* roles = cJSON_AddArrayToObject(root.get(), "roles");
  for (const auto& [name, r] : state.roles) {
    cJSON* o = cJSON_CreateObject();
    cJSON_AddItemToArray(roles, o);
    cJSON_AddStringToObject(o, "name", r.name.c_str());
    cJSON_AddStringToObject(o, "id", r.id.c_str());
    cJSON_AddStringToObject(o, "path", r.path.c_str());
    cJSON_AddStringToObject(o, "description", r.description.c_str());
    cJSON_AddStringToObject(o, "trust", r.trust_policy.c_str());
    cJSON_AddNumberToObject(o, "created", static_cast<double>(r.created));
    cJSON_AddNumberToObject(o, "max_session", static_cast<double>(r.max_session_seconds));
    AddInline(o, r.inline_policies);
    AddStrings(o, "attached", r.attached);
  }
  char* text = cJSON_PrintUnformatted(root.get());
  if (text == nullptr) return std::nullopt;
  std::string out(text);
  cJSON_free(text);
  return out;
}

Result<IamState> DecodeIamRecord(std::string_view json, const SealKey& key, size_t* dropped) {
  JsonPtr root(cJSON_ParseWithLength(json.data(), json.size()), cJSON_Delete);
  if (root == nullptr || !cJSON_IsObject(root.get())) {
    return Err(Code::kCorrupt, "IAM record is not a JSON object");
  }
  IamState state;
  state.updated_ns = Int(root.get(), "updated");
  const cJSON* o = nullptr;
  cJSON_ArrayForEach(o, cJSON_GetObjectItemCaseSensitive(root.get(), "users")) {
    User u;
    u.name = JsonString(o, "name");
    u.id = JsonString(o, "id");
    u.path = JsonString(o, "path");
    u.created = Int(o, "created");
    const cJSON* k = nullptr;
    cJSON_ArrayForEach(k, cJSON_GetObjectItemCaseSensitive(o, "keys")) {
      AccessKey ak;
      ak.id = JsonString(k, "id");
      ak.active = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(k, "active"));
      ak.created = Int(k, "created");
      std::optional<std::string> secret = OpenSecret(key, JsonString(k, "sealed"), ak.id);
      if (!secret) {
        if (dropped != nullptr) ++*dropped;
        continue;
      }
      ak.secret = std::move(*secret);
      u.keys.push_back(std::move(ak));
    }
    u.inline_policies = Inline(o);
    u.attached = Strings(o, "attached");
    u.groups = Strings(o, "groups");
    if (u.name.empty()) return Err(Code::kCorrupt, "IAM record: user without a name");
    std::string name = u.name;
    state.users.emplace(std::move(name), std::move(u));
  }
  cJSON_ArrayForEach(o, cJSON_GetObjectItemCaseSensitive(root.get(), "groups")) {
    Group g;
    g.name = JsonString(o, "name");
    g.id = JsonString(o, "id");
    g.path = JsonString(o, "path");
    g.created = Int(o, "created");
    g.inline_policies = Inline(o);
    g.attached = Strings(o, "attached");
    std::string name = g.name;
    state.groups.emplace(std::move(name), std::move(g));
  }
  cJSON_ArrayForEach(o, cJSON_GetObjectItemCaseSensitive(root.get(), "policies")) {
    ManagedPolicy p;
    p.name = JsonString(o, "name");
    p.id = JsonString(o, "id");
    p.arn = JsonString(o, "arn");
    p.path = JsonString(o, "path");
    p.description = JsonString(o, "description");
    p.document = JsonString(o, "document");
    p.created = Int(o, "created");
    p.updated = Int(o, "updated");
    std::string arn = p.arn;
    state.policies.emplace(std::move(arn), std::move(p));
  }
  cJSON_ArrayForEach(o, cJSON_GetObjectItemCaseSensitive(root.get(), "roles")) {
    Role r;
    r.name = JsonString(o, "name");
    r.id = JsonString(o, "id");
    r.path = JsonString(o, "path");
    r.description = JsonString(o, "description");
    r.trust_policy = JsonString(o, "trust");
    r.created = Int(o, "created");
    r.max_session_seconds = Int(o, "max_session");
    r.inline_policies = Inline(o);
    r.attached = Strings(o, "attached");
    if (r.name.empty()) return Err(Code::kCorrupt, "IAM record: role without a name");
    std::string name = r.name;
    state.roles.emplace(std::move(name), std::move(r));
  }
  return state;
}

}  // namespace flashstor::iam::internal
