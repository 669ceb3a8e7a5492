// IAM API actions on managed policies (Create/Get/GetVersion/List/Delete) and on groups
// (Create/Get/Delete, membership); attaching and inline policies: iam_api_principal_policies.cc.
#include <algorithm>

#include "iam_api_internal.h"

namespace flashstor::s3::iamapi {
namespace {

size_t Attachments(const iam::IamState& s, std::string_view arn) {
  size_t n = 0;
  for (const auto& [name, u] : s.users) n += std::count(u.attached.begin(), u.attached.end(), arn);
  for (const auto& [name, g] : s.groups) n += std::count(g.attached.begin(), g.attached.end(), arn);
  for (const auto& [name, r] : s.roles) n += std::count(r.attached.begin(), r.attached.end(), arn);
  return n;
}

void PolicyXml(pugi::xml_node parent, const char* element, const iam::ManagedPolicy& p,
               size_t attachments) {
  pugi::xml_node n = parent.append_child(element);
  Text(n, "PolicyName", p.name);
  Text(n, "PolicyId", p.id);
  Text(n, "Arn", p.arn);
  Text(n, "Path", p.path);
  Text(n, "DefaultVersionId", "v1");
  Text(n, "AttachmentCount", std::to_string(attachments));
  Text(n, "PermissionsBoundaryUsageCount", "0");
  Text(n, "IsAttachable", "true");
  if (!p.description.empty()) Text(n, "Description", p.description);
  Text(n, "CreateDate", IsoTime(p.created));
  Text(n, "UpdateDate", IsoTime(p.updated));
}

iam::IamError NoPolicy(std::string_view arn) {
  return NoSuchEntity("Policy " + std::string(arn) + " does not exist or is not attachable.");
}
iam::IamError NoGroup(std::string_view name) {
  return NoSuchEntity("The group with name " + std::string(name) + " cannot be found.");
}

void GroupXml(pugi::xml_node parent, const char* element, const iam::Group& g) {
  pugi::xml_node n = parent.append_child(element);
  Text(n, "Path", g.path);
  Text(n, "GroupName", g.name);
  Text(n, "GroupId", g.id);
  Text(n, "Arn", iam::GroupArn(g.name, g.path));
  Text(n, "CreateDate", IsoTime(g.created));
}

}  // namespace

Outcome CreatePolicy(Call& call) {
  std::string name;
  if (Outcome bad = RequireName(call, "PolicyName", 128, name)) return bad;
  auto doc = call.param("PolicyDocument");
  if (!doc) return Missing("policyDocument");
  std::string path(call.param("Path").value_or("/"));
  if (!ValidPath(path)) return Validation("The specified value for path is invalid.");
  std::string description(call.param("Description").value_or(""));
  if (description.size() > 1000) return Validation("Description must be at most 1000 characters");
  if (iam::PolicyCharCount(*doc) > iam::kMaxManagedPolicyChars) {
    return Limit("Cannot exceed quota for PolicySize: 6144");
  }
  auto parsed = iam::ParsePolicy(*doc, iam::PolicyKind::kIdentity);
  if (!parsed) return MalformedDocument(parsed.error().reason);
  iam::ManagedPolicy p;
  p.name = name;
  p.path = path;
  p.description = description;
  p.document = std::string(*doc);
  p.arn = "arn:aws:iam::" + std::string(iam::kAccountId) + ":policy" + path + name;
  p.id = RandomId("ANPA", 17);
  p.created = p.updated = NowSeconds();
  Outcome out = call.store.update([&](iam::IamState& s) -> Outcome {
    for (const auto& [arn, existing] : s.policies) {
      if (existing.name == name) {
        return AlreadyExists("A policy called " + name +
                             " already exists. Duplicate names are "
                             "not allowed.");
      }
    }
    if (s.policies.size() >= iam::kMaxManagedPolicies) {
      return Limit("Cannot exceed quota for PoliciesPerAccount: 1500");
    }
    s.policies[p.arn] = p;
    return std::nullopt;
  });
  if (out) return out;
  PolicyXml(call.result, "Policy", p, 0);
  return std::nullopt;
}

Outcome GetPolicy(Call& call) {
  std::string arn;
  if (Outcome bad = RequirePolicyArn(call, arn)) return bad;
  auto snap = call.store.snapshot();
  auto it = snap->state().policies.find(arn);
  if (it == snap->state().policies.end()) return NoPolicy(arn);
  PolicyXml(call.result, "Policy", it->second, Attachments(snap->state(), arn));
  return std::nullopt;
}

Outcome GetPolicyVersion(Call& call) {
  std::string arn;
  if (Outcome bad = RequirePolicyArn(call, arn)) return bad;
  auto version = call.param("VersionId");
  if (!version) return Missing("versionId");
  auto snap = call.store.snapshot();
  auto it = snap->state().policies.find(arn);
  if (it == snap->state().policies.end()) return NoPolicy(arn);
  if (*version != "v1") {
    return NoSuchEntity("Policy " + arn + " version " + std::string(*version) +
                        " does not exist or is not attachable.");
  }
  pugi::xml_node n = call.result.append_child("PolicyVersion");
  Text(n, "Document", EncodeDocument(it->second.document));
  Text(n, "VersionId", "v1");
  Text(n, "IsDefaultVersion", "true");
  Text(n, "CreateDate", IsoTime(it->second.created));
  return std::nullopt;
}

Outcome ListPolicies(Call& call) {
  std::string_view scope = call.param("Scope").value_or("All");
  if (scope != "All" && scope != "AWS" && scope != "Local") {
    return Validation("Scope must be one of All, AWS, Local");
  }
  const bool only_attached = call.param("OnlyAttached").value_or("false") == "true";
  std::string_view prefix = call.param("PathPrefix").value_or("/");
  auto snap = call.store.snapshot();
  pugi::xml_node list = call.result.append_child("Policies");
  if (scope != "AWS") {  // no AWS-managed policies exist here
    for (const auto& [arn, p] : snap->state().policies) {
      size_t n = Attachments(snap->state(), arn);
      if ((only_attached && n == 0) || !p.path.starts_with(prefix)) continue;
      PolicyXml(list, "member", p, n);
    }
  }
  Text(call.result, "IsTruncated", "false");
  return std::nullopt;
}

Outcome DeletePolicy(Call& call) {
  std::string arn;
  if (Outcome bad = RequirePolicyArn(call, arn)) return bad;
  return call.store.update([&](iam::IamState& s) -> Outcome {
    if (s.policies.find(arn) == s.policies.end()) return NoPolicy(arn);
    if (Attachments(s, arn) > 0) {
      return Conflict("Cannot delete a policy attached to entities.");
    }
    s.policies.erase(arn);
    return std::nullopt;
  });
}

Outcome CreateGroup(Call& call) {
  std::string name;
  if (Outcome bad = RequireName(call, "GroupName", 128, name)) return bad;
  std::string path(call.param("Path").value_or("/"));
  if (!ValidPath(path)) return Validation("The specified value for path is invalid.");
  iam::Group g;
  Outcome out = call.store.update([&](iam::IamState& s) -> Outcome {
    if (s.groups.count(name) > 0)
      return AlreadyExists("Group with name " + name + " already exists.");
    if (s.groups.size() >= iam::kMaxGroups)
      return Limit("Cannot exceed quota for GroupsPerAccount: 300");
    g.name = name;
    g.path = path;
    g.id = RandomId("AGPA", 17);
    g.created = NowSeconds();
    s.groups[name] = g;
    return std::nullopt;
  });
  if (out) return out;
  GroupXml(call.result, "Group", g);
  return std::nullopt;
}

Outcome GetGroup(Call& call) {
  std::string name;
  if (Outcome bad = RequireName(call, "GroupName", 128, name)) return bad;
  auto snap = call.store.snapshot();
  auto it = snap->state().groups.find(name);
  if (it == snap->state().groups.end()) return NoGroup(name);
  GroupXml(call.result, "Group", it->second);
  pugi::xml_node users = call.result.append_child("Users");
  for (const auto& [uname, u] : snap->state().users) {
    if (std::find(u.groups.begin(), u.groups.end(), name) == u.groups.end()) continue;
    pugi::xml_node m = users.append_child("member");
    Text(m, "Path", u.path);
    Text(m, "UserName", u.name);
    Text(m, "UserId", u.id);
    Text(m, "Arn", iam::UserArn(u.name, u.path));
    Text(m, "CreateDate", IsoTime(u.created));
  }
  Text(call.result, "IsTruncated", "false");
  return std::nullopt;
}

Outcome DeleteGroup(Call& call) {
  std::string name;
  if (Outcome bad = RequireName(call, "GroupName", 128, name)) return bad;
  return call.store.update([&](iam::IamState& s) -> Outcome {
    auto it = s.groups.find(name);
    if (it == s.groups.end()) return NoGroup(name);
    for (const auto& [uname, u] : s.users) {
      if (std::find(u.groups.begin(), u.groups.end(), name) != u.groups.end()) {
        return Conflict("Cannot delete entity, must remove users from group first.");
      }
    }
    if (!it->second.attached.empty() || !it->second.inline_policies.documents.empty()) {
      return Conflict("Cannot delete entity, must delete policies first.");
    }
    s.groups.erase(it);
    return std::nullopt;
  });
}

Outcome AddUserToGroup(Call& call) {
  std::string group, user;
  if (Outcome bad = RequireName(call, "GroupName", 128, group)) return bad;
  if (Outcome bad = RequireName(call, "UserName", 64, user)) return bad;
  return call.store.update([&](iam::IamState& s) -> Outcome {
    if (s.groups.count(group) == 0) return NoGroup(group);
    auto u = s.users.find(user);
    if (u == s.users.end()) return NoSuchUser(user);
    auto& groups = u->second.groups;
    if (std::find(groups.begin(), groups.end(), group) != groups.end()) return std::nullopt;
    if (groups.size() >= iam::kMaxGroupsPerUser) {
      return Limit("Cannot exceed quota for GroupsPerUser: 10");
    }
    groups.push_back(group);
    return std::nullopt;
  });
}

Outcome RemoveUserFromGroup(Call& call) {
  std::string group, user;
  if (Outcome bad = RequireName(call, "GroupName", 128, group)) return bad;
  if (Outcome bad = RequireName(call, "UserName", 64, user)) return bad;
  return call.store.update([&](iam::IamState& s) -> Outcome {
    if (s.groups.count(group) == 0) return NoGroup(group);
    auto u = s.users.find(user);
    if (u == s.users.end()) return NoSuchUser(user);
    auto& groups = u->second.groups;
    auto at = std::find(groups.begin(), groups.end(), group);
    if (at == groups.end()) {
      return NoSuchEntity("User " + user + " is not in group " + group + ".");
    }
    groups.erase(at);
    return std::nullopt;
  });
}

Outcome ListGroupsForUser(Call& call) {
  std::string name;
  if (Outcome bad = RequireName(call, "UserName", 64, name)) return bad;
  auto snap = call.store.snapshot();
  auto it = snap->state().users.find(name);
  if (it == snap->state().users.end()) return NoSuchUser(name);
  pugi::xml_node list = call.result.append_child("Groups");
  for (const std::string& g : it->second.groups) {
    auto group = snap->state().groups.find(g);
    if (group != snap->state().groups.end()) GroupXml(list, "member", group->second);
  }
  Text(call.result, "IsTruncated", "false");
  return std::nullopt;
}

}  // namespace flashstor::s3::iamapi
