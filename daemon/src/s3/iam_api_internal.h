// What the IAM API's protocol layer (iam_api.cc) and its actions (iam_api_users.cc,
// iam_api_policies.cc, iam_api_roles.cc, iam_api_principal_policies.cc) share: the parsed call, the
// XML result under construction, errors.
#pragma once

#include <pugixml.hpp>

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "flashstor/auth/sigv4.h"
#include "flashstor/http/uri.h"
#include "flashstor/iam/iam_store.h"

namespace flashstor::s3::iamapi {

struct Call {
  std::span<const http::QueryParam> params;
  const auth::AuthContext& auth;
  iam::IamStore& store;
  std::string caller;     // user name of the caller; empty for root and role sessions
  bool session = false;   // the caller is an STS role session (it has no IAM user)
  pugi::xml_node result;  // <XxxResult>; children appended by the action

  std::optional<std::string_view> param(std::string_view name) const {
    const http::QueryParam* p = http::FindParam(params, name);
    if (p == nullptr) return std::nullopt;
    return p->value;
  }
};

using Outcome = std::optional<iam::IamError>;  // nullopt: success
using ActionFn = Outcome (*)(Call&);

iam::IamError NoSuchEntity(std::string message);
// NoSuchEntity for a user name that does not exist.
iam::IamError NoSuchUser(std::string_view name);
iam::IamError Validation(std::string message);
iam::IamError Missing(std::string_view param);
iam::IamError AlreadyExists(std::string message);
iam::IamError Limit(std::string message);
iam::IamError Conflict(std::string message);
iam::IamError MalformedDocument(std::string message);

std::string IsoTime(int64_t epoch_seconds);
int64_t NowSeconds();
std::string RandomId(std::string_view prefix, size_t length);  // uppercase letters and digits
// IAM names: 1..max of [A-Za-z0-9+=,.@_-].
bool ValidName(std::string_view name, size_t max);
// A required parameter that must be a valid name; the error otherwise.
Outcome RequireName(const Call& call, std::string_view param, size_t max, std::string& out);
// Paths: "/" or "/.../" up to 512 characters.
bool ValidPath(std::string_view path);
// PolicyArn: required, "arn:..." of 20..2048 characters (InvalidInput otherwise).
Outcome RequirePolicyArn(const Call& call, std::string& out);
// Policy documents in responses are URL-encoded, as IAM returns them.
std::string EncodeDocument(std::string_view json);
void Text(pugi::xml_node parent, const char* name, std::string_view value);

// Actions (one family per file).
Outcome CreateUser(Call&);
Outcome GetUser(Call&);
Outcome ListUsers(Call&);
Outcome DeleteUser(Call&);
Outcome CreateAccessKey(Call&);
Outcome ListAccessKeys(Call&);
Outcome UpdateAccessKey(Call&);
Outcome DeleteAccessKey(Call&);
Outcome PutUserPolicy(Call&);
Outcome GetUserPolicy(Call&);
Outcome DeleteUserPolicy(Call&);
Outcome ListUserPolicies(Call&);
Outcome CreatePolicy(Call&);
Outcome GetPolicy(Call&);
Outcome GetPolicyVersion(Call&);
Outcome ListPolicies(Call&);
Outcome DeletePolicy(Call&);
Outcome AttachUserPolicy(Call&);
Outcome DetachUserPolicy(Call&);
Outcome ListAttachedUserPolicies(Call&);
Outcome CreateGroup(Call&);
Outcome GetGroup(Call&);
Outcome DeleteGroup(Call&);
Outcome AddUserToGroup(Call&);
Outcome RemoveUserFromGroup(Call&);
Outcome ListGroupsForUser(Call&);
Outcome PutGroupPolicy(Call&);
Outcome GetGroupPolicy(Call&);
Outcome DeleteGroupPolicy(Call&);
Outcome ListGroupPolicies(Call&);
Outcome AttachGroupPolicy(Call&);
Outcome DetachGroupPolicy(Call&);
Outcome ListAttachedGroupPolicies(Call&);
Outcome CreateRole(Call&);
Outcome GetRole(Call&);
Outcome ListRoles(Call&);
Outcome DeleteRole(Call&);
Outcome UpdateAssumeRolePolicy(Call&);
Outcome PutRolePolicy(Call&);
Outcome GetRolePolicy(Call&);
Outcome DeleteRolePolicy(Call&);
Outcome ListRolePolicies(Call&);
Outcome AttachRolePolicy(Call&);
Outcome DetachRolePolicy(Call&);
Outcome ListAttachedRolePolicies(Call&);

}  // namespace flashstor::s3::iamapi
