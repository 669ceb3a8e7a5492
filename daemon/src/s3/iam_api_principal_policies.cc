// IAM API actions on the policies of a principal, one implementation for users, groups and
// roles: Put/Get/Delete/List<Kind>Policies (inline documents) and Attach/Detach/
// ListAttached<Kind>Policies (managed policy ARNs). The kinds differ only in their parameter,
// name length, inline size limit and wording.
#include <algorithm>

#include "iam_api_internal.h"

namespace flashstor::s3::iamapi {
namespace {

enum class OwnerKind : uint8_t { kUser, kGroup, kRole };

struct Owner {
  OwnerKind kind;
  std::string_view param;  // "UserName"
  size_t max_name;
  std::string_view noun;  // "user"
  size_t max_inline_chars;
  std::string_view attach_quota;  // AWS's quota name in LimitExceeded
};

constexpr Owner kUsers{OwnerKind::kUser, "UserName", 64, "user", iam::kMaxInlineUserPolicyChars,
                       "PoliciesPerUser"};
constexpr Owner kGroups{
    OwnerKind::kGroup, "GroupName", 128, "group", iam::kMaxInlineGroupPolicyChars,
    "PoliciesPerGroup"};
constexpr Owner kRoles{OwnerKind::kRole, "RoleName", 64, "role", iam::kMaxInlineRolePolicyChars,
                       "PoliciesPerRole"};

iam::IamError NoOwner(const Owner& o, std::string_view name) {
  return NoSuchEntity("The " + std::string(o.noun) + " with name " + std::string(name) +
                      " cannot be found.");
}

// Calls fn with the owner's record (User, Group or Role; const with a snapshot's state), or
// answers NoSuchEntity.
template <class State, class Fn>
Outcome WithOwner(State& s, const Owner& o, const std::string& name, Fn&& fn) {
  auto visit = [&](auto& records) -> Outcome {
    auto it = records.find(name);
    if (it == records.end()) return NoOwner(o, name);
    return fn(it->second);
  };
  switch (o.kind) {
    case OwnerKind::kUser:
      return visit(s.users);
    case OwnerKind::kGroup:
      return visit(s.groups);
    case OwnerKind::kRole:
      return visit(s.roles);
  }
  return NoOwner(o, name);
}

Outcome RequireOwnerAndPolicyName(const Call& call, const Owner& o, std::string& name,
                                  std::string& policy_name) {
  if (Outcome bad = RequireName(call, o.param, o.max_name, name)) return bad;
  return RequireName(call, "PolicyName", 128, policy_name);
}

iam::IamError NoInlinePolicy(const Owner& o, std::string_view policy_name) {
  return NoSuchEntity("The " + std::string(o.noun) + " policy with name " +
                      std::string(policy_name) + " cannot be found.");
}

Outcome PutInline(Call& call, const Owner& o) {
  std::string name, policy_name;
  if (Outcome bad = RequireOwnerAndPolicyName(call, o, name, policy_name)) return bad;
  auto doc = call.param("PolicyDocument");
  if (!doc) return Missing("policyDocument");
  auto parsed = iam::ParsePolicy(*doc, iam::PolicyKind::kIdentity);
  if (!parsed) return MalformedDocument(parsed.error().reason);
  return call.store.update([&](iam::IamState& s) -> Outcome {
    return WithOwner(s, o, name, [&](auto& owner) -> Outcome {
      auto& docs = owner.inline_policies.documents;
      size_t total = iam::PolicyCharCount(*doc);
      for (const auto& [n, d] : docs) {
        if (n != policy_name) total += iam::PolicyCharCount(d);
      }
      if (total > o.max_inline_chars) {
        return Limit("Maximum policy size of " + std::to_string(o.max_inline_chars) +
                     " bytes exceeded for " + std::string(o.noun) + " " + name);
      }
      docs[policy_name] = std::string(*doc);
      return std::nullopt;
    });
  });
}

Outcome GetInline(Call& call, const Owner& o) {
  std::string name, policy_name;
  if (Outcome bad = RequireOwnerAndPolicyName(call, o, name, policy_name)) return bad;
  auto snap = call.store.snapshot();
  return WithOwner(snap->state(), o, name, [&](const auto& owner) -> Outcome {
    auto p = owner.inline_policies.documents.find(policy_name);
    if (p == owner.inline_policies.documents.end()) return NoInlinePolicy(o, policy_name);
    Text(call.result, std::string(o.param).c_str(), name);
    Text(call.result, "PolicyName", policy_name);
    Text(call.result, "PolicyDocument", EncodeDocument(p->second));
    return std::nullopt;
  });
}

Outcome DeleteInline(Call& call, const Owner& o) {
  std::string name, policy_name;
  if (Outcome bad = RequireOwnerAndPolicyName(call, o, name, policy_name)) return bad;
  return call.store.update([&](iam::IamState& s) -> Outcome {
    return WithOwner(s, o, name, [&](auto& owner) -> Outcome {
      if (owner.inline_policies.documents.erase(policy_name) == 0) {
        return NoInlinePolicy(o, policy_name);
      }
      return std::nullopt;
    });
  });
}

Outcome ListInline(Call& call, const Owner& o) {
  std::string name;
  if (Outcome bad = RequireName(call, o.param, o.max_name, name)) return bad;
  auto snap = call.store.snapshot();
  return WithOwner(snap->state(), o, name, [&](const auto& owner) -> Outcome {
    pugi::xml_node list = call.result.append_child("PolicyNames");
    for (const auto& [pname, doc] : owner.inline_policies.documents) Text(list, "member", pname);
    Text(call.result, "IsTruncated", "false");
    return std::nullopt;
  });
}

// Attaches (attach) or detaches a managed policy; attaching twice is a no-op, as in AWS.
Outcome ChangeAttachment(Call& call, const Owner& o, bool attach) {
  std::string name, arn;
  if (Outcome bad = RequireName(call, o.param, o.max_name, name)) return bad;
  if (Outcome bad = RequirePolicyArn(call, arn)) return bad;
  return call.store.update([&](iam::IamState& s) -> Outcome {
    return WithOwner(s, o, name, [&](auto& owner) -> Outcome {
      std::vector<std::string>& list = owner.attached;
      auto at = std::find(list.begin(), list.end(), arn);
      if (!attach) {
        if (at == list.end()) return NoSuchEntity("Policy " + arn + " was not found.");
        list.erase(at);
        return std::nullopt;
      }
      if (s.policies.find(arn) == s.policies.end()) {
        return NoSuchEntity("Policy " + arn + " does not exist or is not attachable.");
      }
      if (at != list.end()) return std::nullopt;
      if (list.size() >= iam::kMaxAttachedPolicies) {
        return Limit("Cannot exceed quota for " + std::string(o.attach_quota) + ": 10");
      }
      list.push_back(arn);
      return std::nullopt;
    });
  });
}

Outcome ListAttached(Call& call, const Owner& o) {
  std::string name;
  if (Outcome bad = RequireName(call, o.param, o.max_name, name)) return bad;
  auto snap = call.store.snapshot();
  const iam::IamState& s = snap->state();
  return WithOwner(s, o, name, [&](const auto& owner) -> Outcome {
    pugi::xml_node list = call.result.append_child("AttachedPolicies");
    for (const std::string& arn : owner.attached) {
      auto p = s.policies.find(arn);
      pugi::xml_node m = list.append_child("member");
      Text(m, "PolicyName",
           p != s.policies.end() ? p->second.name : arn.substr(arn.rfind('/') + 1));
      Text(m, "PolicyArn", arn);
    }
    Text(call.result, "IsTruncated", "false");
    return std::nullopt;
  });
}

}  // namespace

Outcome RequirePolicyArn(const Call& call, std::string& out) {
  auto arn = call.param("PolicyArn");
  if (!arn) return Missing("policyArn");
  if (arn->size() < 20 || arn->size() > 2048 || !arn->starts_with("arn:")) {
    return {{"InvalidInput", 400, "ARN " + std::string(*arn) + " is not valid."}};
  }
  out = std::string(*arn);
  return std::nullopt;
}

Outcome PutUserPolicy(Call& c) {
  return PutInline(c, kUsers);
}
Outcome GetUserPolicy(Call& c) {
  return GetInline(c, kUsers);
}
Outcome DeleteUserPolicy(Call& c) {
  return DeleteInline(c, kUsers);
}
Outcome ListUserPolicies(Call& c) {
  return ListInline(c, kUsers);
}
Outcome AttachUserPolicy(Call& c) {
  return ChangeAttachment(c, kUsers, true);
}
Outcome DetachUserPolicy(Call& c) {
  return ChangeAttachment(c, kUsers, false);
}
Outcome ListAttachedUserPolicies(Call& c) {
  return ListAttached(c, kUsers);
}

Outcome PutGroupPolicy(Call& c) {
  return PutInline(c, kGroups);
}
Outcome GetGroupPolicy(Call& c) {
  return GetInline(c, kGroups);
}
Outcome DeleteGroupPolicy(Call& c) {
  return DeleteInline(c, kGroups);
}
Outcome ListGroupPolicies(Call& c) {
  return ListInline(c, kGroups);
}
Outcome AttachGroupPolicy(Call& c) {
  return ChangeAttachment(c, kGroups, true);
}
Outcome DetachGroupPolicy(Call& c) {
  return ChangeAttachment(c, kGroups, false);
}
Outcome ListAttachedGroupPolicies(Call& c) {
  return ListAttached(c, kGroups);
}

Outcome PutRolePolicy(Call& c) {
  return PutInline(c, kRoles);
}
Outcome GetRolePolicy(Call& c) {
  return GetInline(c, kRoles);
}
Outcome DeleteRolePolicy(Call& c) {
  return DeleteInline(c, kRoles);
}
Outcome ListRolePolicies(Call& c) {
  return ListInline(c, kRoles);
}
Outcome AttachRolePolicy(Call& c) {
  return ChangeAttachment(c, kRoles, true);
}
Outcome DetachRolePolicy(Call& c) {
  return ChangeAttachment(c, kRoles, false);
}
Outcome ListAttachedRolePolicies(Call& c) {
  return ListAttached(c, kRoles);
}

}  // namespace flashstor::s3::iamapi
