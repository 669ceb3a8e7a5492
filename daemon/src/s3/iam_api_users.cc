// IAM API actions on users: CreateUser, GetUser, ListUsers, DeleteUser and access keys
// (Create/List/Update/Delete, two per user); their policies: iam_api_principal_policies.cc.
#include <algorithm>

#include "iam_api_internal.h"

namespace flashstor::s3::iamapi {
namespace {

void UserXml(pugi::xml_node parent, const iam::User& u) {
  pugi::xml_node n = parent.append_child("User");
  Text(n, "Path", u.path);
  Text(n, "UserName", u.name);
  Text(n, "UserId", u.id);
  Text(n, "Arn", iam::UserArn(u.name, u.path));
  Text(n, "CreateDate", IsoTime(u.created));
}

// UserName, or the caller when absent (root must name a user: it has no IAM user).
Outcome TargetUser(const Call& call, std::string& out) {
  if (!call.param("UserName") && call.session) {
    return Validation("Must specify userName when calling with non-User credentials");
  }
  if (!call.param("UserName") && !call.caller.empty()) {
    out = call.caller;
    return std::nullopt;
  }
  return RequireName(call, "UserName", 64, out);
}

// MaxItems (1..1000, default 100) and Marker (exclusive start) of list actions.
Outcome Paging(const Call& call, size_t& max_items, std::string& marker) {
  max_items = 100;
  if (auto m = call.param("MaxItems")) {
    size_t v = 0;
    for (char c : *m) {
      if (c < '0' || c > '9' || v > 1000) return Validation("MaxItems must be 1 to 1000");
      v = v * 10 + static_cast<size_t>(c - '0');
    }
    if (v < 1 || v > 1000) return Validation("MaxItems must be 1 to 1000");
    max_items = v;
  }
  if (auto mk = call.param("Marker")) marker = std::string(*mk);
  return std::nullopt;
}

}  // namespace

Outcome CreateUser(Call& call) {
  std::string name;
  if (Outcome bad = RequireName(call, "UserName", 64, name)) return bad;
  std::string path(call.param("Path").value_or("/"));
  if (!ValidPath(path)) return Validation("The specified value for path is invalid.");
  iam::User created;
  Outcome out = call.store.update([&](iam::IamState& s) -> Outcome {
    for (const auto& [n, u] : s.users) {
      if (std::equal(n.begin(), n.end(), name.begin(), name.end(), [](char a, char b) {
            return std::tolower(static_cast<unsigned char>(a)) ==
                   std::tolower(static_cast<unsigned char>(b));
          })) {
        return AlreadyExists("User with name " + name + " already exists.");
      }
    }
    if (s.users.size() >= iam::kMaxUsers) return Limit("Cannot exceed quota for UsersPerAccount");
    created.name = name;
    created.path = path;
    created.id = RandomId("AIDA", 17);
    created.created = NowSeconds();
    s.users[name] = created;
    return std::nullopt;
  });
  if (out) return out;
  UserXml(call.result, created);
  return std::nullopt;
}

Outcome GetUser(Call& call) {
  auto snap = call.store.snapshot();
  if (!call.param("UserName") && call.caller.empty() && !call.session) {
    pugi::xml_node n = call.result.append_child("User");
    Text(n, "UserId", iam::kAccountId);
    Text(n, "Arn", "arn:aws:iam::" + std::string(iam::kAccountId) + ":root");
    Text(n, "CreateDate", IsoTime(0));
    return std::nullopt;
  }
  std::string name;
  if (Outcome bad = TargetUser(call, name)) return bad;
  auto it = snap->state().users.find(name);
  if (it == snap->state().users.end()) return NoSuchUser(name);
  UserXml(call.result, it->second);
  return std::nullopt;
}

Outcome ListUsers(Call& call) {
  size_t max_items = 0;
  std::string marker;
  if (Outcome bad = Paging(call, max_items, marker)) return bad;
  std::string_view prefix = call.param("PathPrefix").value_or("/");
  auto snap = call.store.snapshot();
  pugi::xml_node users = call.result.append_child("Users");
  size_t n = 0;
  bool truncated = false;
  std::string last;
  for (const auto& [name, u] : snap->state().users) {
    if (!marker.empty() && name <= marker) continue;
    if (!u.path.starts_with(prefix)) continue;
    if (n == max_items) {
      truncated = true;
      break;
    }
    pugi::xml_node m = users.append_child("member");
    Text(m, "Path", u.path);
    Text(m, "UserName", u.name);
    Text(m, "UserId", u.id);
    Text(m, "Arn", iam::UserArn(u.name, u.path));
    Text(m, "CreateDate", IsoTime(u.created));
    last = name;
    ++n;
  }
  Text(call.result, "IsTruncated", truncated ? "true" : "false");
  if (truncated) Text(call.result, "Marker", last);
  return std::nullopt;
}

Outcome DeleteUser(Call& call) {
  std::string name;
  if (Outcome bad = RequireName(call, "UserName", 64, name)) return bad;
  return call.store.update([&](iam::IamState& s) -> Outcome {
    auto it = s.users.find(name);
    if (it == s.users.end()) return NoSuchUser(name);
    const iam::User& u = it->second;
    if (!u.keys.empty() || !u.inline_policies.documents.empty() || !u.attached.empty() ||
        !u.groups.empty()) {
      return Conflict(
          "Cannot delete entity, must delete access keys, policies and group "
          "memberships first.");
    }
    s.users.erase(it);
    return std::nullopt;
  });
}

Outcome CreateAccessKey(Call& call) {
  std::string name;
  if (Outcome bad = TargetUser(call, name)) return bad;
  iam::AccessKey key;
  Outcome out = call.store.update([&](iam::IamState& s) -> Outcome {
    auto it = s.users.find(name);
    if (it == s.users.end()) return NoSuchUser(name);
    if (it->second.keys.size() >= iam::kMaxAccessKeysPerUser) {
      return Limit("Cannot exceed quota for AccessKeysPerUser: 2");
    }
    key.id = RandomId("AKIA", 16);
    key.secret = RandomId("", 40);
    key.active = true;
    key.created = NowSeconds();
    it->second.keys.push_back(key);
    return std::nullopt;
  });
  if (out) return out;
  pugi::xml_node n = call.result.append_child("AccessKey");
  Text(n, "UserName", name);
  Text(n, "AccessKeyId", key.id);
  Text(n, "Status", "Active");
  Text(n, "SecretAccessKey", key.secret);
  Text(n, "CreateDate", IsoTime(key.created));
  return std::nullopt;
}

Outcome ListAccessKeys(Call& call) {
  std::string name;
  if (Outcome bad = TargetUser(call, name)) return bad;
  auto snap = call.store.snapshot();
  auto it = snap->state().users.find(name);
  if (it == snap->state().users.end()) return NoSuchUser(name);
  pugi::xml_node list = call.result.append_child("AccessKeyMetadata");
  for (const iam::AccessKey& k : it->second.keys) {
    pugi::xml_node m = list.append_child("member");
    Text(m, "UserName", name);
    Text(m, "AccessKeyId", k.id);
    Text(m, "Status", k.active ? "Active" : "Inactive");
    Text(m, "CreateDate", IsoTime(k.created));
  }
  Text(call.result, "IsTruncated", "false");
  return std::nullopt;
}

Outcome UpdateAccessKey(Call& call) {
  std::string name;
  if (Outcome bad = TargetUser(call, name)) return bad;
  auto id = call.param("AccessKeyId");
  auto status = call.param("Status");
  if (!id) return Missing("accessKeyId");
  if (!status) return Missing("status");
  if (*status != "Active" && *status != "Inactive") {
    return Validation("1 validation error detected: Value '" + std::string(*status) +
                      "' at 'status' failed to satisfy constraint: Member must satisfy enum "
                      "value set: [Active, Inactive]");
  }
  return call.store.update([&](iam::IamState& s) -> Outcome {
    auto it = s.users.find(name);
    if (it == s.users.end()) return NoSuchUser(name);
    for (iam::AccessKey& k : it->second.keys) {
      if (k.id == *id) {
        k.active = *status == "Active";
        return std::nullopt;
      }
    }
    return NoSuchEntity("The Access Key with id " + std::string(*id) + " cannot be found.");
  });
}

Outcome DeleteAccessKey(Call& call) {
  std::string name;
  if (Outcome bad = TargetUser(call, name)) return bad;
  auto id = call.param("AccessKeyId");
  if (!id) return Missing("accessKeyId");
  return call.store.update([&](iam::IamState& s) -> Outcome {
    auto it = s.users.find(name);
    if (it == s.users.end()) return NoSuchUser(name);
    auto& keys = it->second.keys;
    auto k = std::find_if(keys.begin(), keys.end(), [&](const auto& x) { return x.id == *id; });
    if (k == keys.end()) {
      return NoSuchEntity("The Access Key with id " + std::string(*id) + " cannot be found.");
    }
    keys.erase(k);
    return std::nullopt;
  });
}

}  // namespace flashstor::s3::iamapi
