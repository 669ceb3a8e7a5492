// IAM API actions on roles: Create/Get/List/Delete, UpdateAssumeRolePolicy (the trust policy);
// their policies: iam_api_principal_policies.cc. Roles live in the same identity record.
#include <algorithm>
#include <charconv>

#include "iam_api_internal.h"

namespace flashstor::s3::iamapi {
namespace {

constexpr size_t kMaxRoleName = 64;

void RoleXml(pugi::xml_node parent, const char* element, const iam::Role& r) {
  pugi::xml_node n = parent.append_child(element);
  Text(n, "Path", r.path);
  Text(n, "RoleName", r.name);
  Text(n, "RoleId", r.id);
  Text(n, "Arn", iam::RoleArn(r.name, r.path));
  Text(n, "CreateDate", IsoTime(r.created));
  Text(n, "AssumeRolePolicyDocument", EncodeDocument(r.trust_policy));
  if (!r.description.empty()) Text(n, "Description", r.description);
  Text(n, "MaxSessionDuration", std::to_string(r.max_session_seconds));
}

iam::IamError NoRole(std::string_view name) {
  return NoSuchEntity("The role with name " + std::string(name) + " cannot be found.");
}

// A trust policy: at most kMaxTrustPolicyChars, Principal required, no Resource.
Outcome CheckTrustPolicy(std::string_view doc) {
  if (iam::PolicyCharCount(doc) > iam::kMaxTrustPolicyChars) {
    return Limit("Cannot exceed quota for ACLSizePerRole: 2048");
  }
  auto parsed = iam::ParsePolicy(doc, iam::PolicyKind::kTrust);
  if (!parsed) return MalformedDocument(parsed.error().reason);
  return std::nullopt;
}

Outcome MaxSession(const Call& call, int64_t& out) {
  out = iam::kMinRoleSessionSeconds;
  auto v = call.param("MaxSessionDuration");
  if (!v) return std::nullopt;
  int64_t n = 0;
  auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
  if (ec != std::errc() || end != v->data() + v->size() || n < iam::kMinRoleSessionSeconds ||
      n > iam::kMaxRoleSessionSeconds) {
    return Validation("1 validation error detected: Value '" + std::string(*v) +
                      "' at 'maxSessionDuration' failed to satisfy constraint: Member must "
                      "have value between 3600 and 43200");
  }
  out = n;
  return std::nullopt;
}

}  // namespace

Outcome CreateRole(Call& call) {
  std::string name;
  if (Outcome bad = RequireName(call, "RoleName", kMaxRoleName, name)) return bad;
  auto trust = call.param("AssumeRolePolicyDocument");
  if (!trust) return Missing("assumeRolePolicyDocument");
  if (Outcome bad = CheckTrustPolicy(*trust)) return bad;
  std::string path(call.param("Path").value_or("/"));
  if (!ValidPath(path)) return Validation("The specified value for path is invalid.");
  std::string description(call.param("Description").value_or(""));
  if (description.size() > 1000) return Validation("Description must be at most 1000 characters");
  iam::Role created;
  if (Outcome bad = MaxSession(call, created.max_session_seconds)) return bad;
  Outcome out = call.store.update([&](iam::IamState& s) -> Outcome {
    for (const auto& [n, r] : s.roles) {
      if (std::equal(n.begin(), n.end(), name.begin(), name.end(), [](char a, char b) {
            return std::tolower(static_cast<unsigned char>(a)) ==
                   std::tolower(static_cast<unsigned char>(b));
          })) {
        return AlreadyExists("Role with name " + name + " already exists.");
      }
    }
    if (s.roles.size() >= iam::kMaxRoles) return Limit("Cannot exceed quota for RolesPerAccount");
    created.name = name;
    created.path = path;
    created.description = description;
    created.trust_policy = std::string(*trust);
    created.id = RandomId("AROA", 17);
    created.created = NowSeconds();
    s.roles[name] = created;
    return std::nullopt;
  });
  if (out) return out;
  RoleXml(call.result, "Role", created);
  return std::nullopt;
}

Outcome GetRole(Call& call) {
  std::string name;
  if (Outcome bad = RequireName(call, "RoleName", kMaxRoleName, name)) return bad;
  auto snap = call.store.snapshot();
  const iam::Role* r = snap->role(name);
  if (r == nullptr) return NoRole(name);
  RoleXml(call.result, "Role", *r);
  return std::nullopt;
}

Outcome ListRoles(Call& call) {
  size_t max_items = 100;
  if (auto m = call.param("MaxItems")) {
    size_t v = 0;
    auto [end, ec] = std::from_chars(m->data(), m->data() + m->size(), v);
    if (ec != std::errc() || end != m->data() + m->size() || v < 1 || v > 1000) {
      return Validation("MaxItems must be 1 to 1000");
    }
    max_items = v;
  }
  std::string marker(call.param("Marker").value_or(""));
  std::string_view prefix = call.param("PathPrefix").value_or("/");
  auto snap = call.store.snapshot();
  pugi::xml_node roles = call.result.append_child("Roles");
  size_t n = 0;
  bool truncated = false;
  std::string last;
  for (const auto& [name, r] : snap->state().roles) {
    if (!marker.empty() && name <= marker) continue;
    if (!r.path.starts_with(prefix)) continue;
    if (n == max_items) {
      truncated = true;
      break;
    }
    RoleXml(roles, "member", r);
    last = name;
    ++n;
  }
  Text(call.result, "IsTruncated", truncated ? "true" : "false");
  if (truncated) Text(call.result, "Marker", last);
  return std::nullopt;
}

Outcome DeleteRole(Call& call) {
  std::string name;
  if (Outcome bad = RequireName(call, "RoleName", kMaxRoleName, name)) return bad;
  return call.store.update([&](iam::IamState& s) -> Outcome {
    auto it = s.roles.find(name);
    if (it == s.roles.end()) return NoRole(name);
    if (!it->second.inline_policies.documents.empty() || !it->second.attached.empty()) {
      return Conflict("Cannot delete entity, must detach all policies first.");
    }
    s.roles.erase(it);
    return std::nullopt;
  });
}

Outcome UpdateAssumeRolePolicy(Call& call) {
  std::string name;
  if (Outcome bad = RequireName(call, "RoleName", kMaxRoleName, name)) return bad;
  auto trust = call.param("PolicyDocument");
  if (!trust) return Missing("policyDocument");
  if (Outcome bad = CheckTrustPolicy(*trust)) return bad;
  return call.store.update([&](iam::IamState& s) -> Outcome {
    auto it = s.roles.find(name);
    if (it == s.roles.end()) return NoRole(name);
    it->second.trust_policy = std::string(*trust);
    return std::nullopt;
  });
}

}  // namespace flashstor::s3::iamapi
