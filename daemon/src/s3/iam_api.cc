// IamApi::serve: form body, Version check, authorisation of iam:<Action>, dispatch, and the
// IAM XML envelopes (<XxxResponse><XxxResult>..., <ErrorResponse><Error>...); plus the small
// helpers the actions share (names, ids, times, errors).
#include "iam_api.h"

#include <openssl/rand.h>

#include <array>
#include <ctime>
#include <utility>

#include "flashstor/common/utc_time.h"
#include "flashstor/http/uri.h"
#include "flashstor/s3/xml_reader.h"
#include "iam_api_internal.h"

namespace flashstor::s3 {
namespace iamapi {

iam::IamError NoSuchEntity(std::string m) {
  return {"NoSuchEntity", 404, std::move(m)};
}
iam::IamError NoSuchUser(std::string_view name) {
  return NoSuchEntity("The user with name " + std::string(name) + " cannot be found.");
}
iam::IamError Validation(std::string m) {
  return {"ValidationError", 400, std::move(m)};
}
iam::IamError Missing(std::string_view p) {
  return {"ValidationError", 400,
          "1 validation error detected: Value null at '" + std::string(p) +
              "' failed to satisfy constraint: Member must not be null"};
}
iam::IamError AlreadyExists(std::string m) {
  return {"EntityAlreadyExists", 409, std::move(m)};
}
iam::IamError Limit(std::string m) {
  return {"LimitExceeded", 409, std::move(m)};
}
iam::IamError Conflict(std::string m) {
  return {"DeleteConflict", 409, std::move(m)};
}
iam::IamError MalformedDocument(std::string m) {
  return {"MalformedPolicyDocument", 400, std::move(m)};
}

std::string IsoTime(int64_t epoch_seconds) {
  return FormatIso8601Seconds(epoch_seconds);
}

int64_t NowSeconds() {
  return static_cast<int64_t>(std::time(nullptr));
}

std::string RandomId(std::string_view prefix, size_t length) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  std::string out(prefix);
  std::array<unsigned char, 64> raw{};
  (void)RAND_bytes(raw.data(), static_cast<int>(raw.size()));
  for (size_t i = 0; i < length && i < raw.size(); ++i) out.push_back(kAlphabet[raw[i] % 32]);
  return out;
}

bool ValidName(std::string_view name, size_t max) {
  if (name.empty() || name.size() > max) return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              std::string_view("+=,.@_-").find(c) != std::string_view::npos;
    if (!ok) return false;
  }
  return true;
}

Outcome RequireName(const Call& call, std::string_view param, size_t max, std::string& out) {
  std::optional<std::string_view> v = call.param(param);
  if (!v) return Missing(param);
  if (!ValidName(*v, max)) {
    return Validation("The specified value for " + std::string(param) +
                      " is invalid. It must contain only alphanumeric characters and/or the "
                      "following: +=,.@_-");
  }
  out = std::string(*v);
  return std::nullopt;
}

bool ValidPath(std::string_view path) {
  return !path.empty() && path.size() <= 512 && path.front() == '/' && path.back() == '/';
}

std::string EncodeDocument(std::string_view json) {
  return http::UriEncode(json, true);
}

void Text(pugi::xml_node parent, const char* name, std::string_view value) {
  parent.append_child(name).text().set(std::string(value).c_str());
}

}  // namespace iamapi

namespace {

using namespace iamapi;

struct IamActionRow {
  std::string_view name;
  ActionFn fn;
};

constexpr auto kIamActions = std::to_array<IamActionRow>({
    {"CreateUser", CreateUser},
    {"GetUser", GetUser},
    {"ListUsers", ListUsers},
    {"DeleteUser", DeleteUser},
    {"CreateAccessKey", CreateAccessKey},
    {"ListAccessKeys", ListAccessKeys},
    {"UpdateAccessKey", UpdateAccessKey},
    {"DeleteAccessKey", DeleteAccessKey},
    {"PutUserPolicy", PutUserPolicy},
    {"GetUserPolicy", GetUserPolicy},
    {"DeleteUserPolicy", DeleteUserPolicy},
    {"ListUserPolicies", ListUserPolicies},
    {"CreatePolicy", CreatePolicy},
    {"GetPolicy", GetPolicy},
    {"GetPolicyVersion", GetPolicyVersion},
    {"ListPolicies", ListPolicies},
    {"DeletePolicy", DeletePolicy},
    {"AttachUserPolicy", AttachUserPolicy},
    {"DetachUserPolicy", DetachUserPolicy},
    {"ListAttachedUserPolicies", ListAttachedUserPolicies},
    {"CreateGroup", CreateGroup},
    {"GetGroup", GetGroup},
    {"DeleteGroup", DeleteGroup},
    {"AddUserToGroup", AddUserToGroup},
    {"RemoveUserFromGroup", RemoveUserFromGroup},
    {"ListGroupsForUser", ListGroupsForUser},
    {"PutGroupPolicy", PutGroupPolicy},
    {"GetGroupPolicy", GetGroupPolicy},
    {"DeleteGroupPolicy", DeleteGroupPolicy},
    {"ListGroupPolicies", ListGroupPolicies},
    {"AttachGroupPolicy", AttachGroupPolicy},
    {"DetachGroupPolicy", DetachGroupPolicy},
    {"ListAttachedGroupPolicies", ListAttachedGroupPolicies},
    {"CreateRole", CreateRole},
    {"GetRole", GetRole},
    {"ListRoles", ListRoles},
    {"DeleteRole", DeleteRole},
    {"UpdateAssumeRolePolicy", UpdateAssumeRolePolicy},
    {"PutRolePolicy", PutRolePolicy},
    {"GetRolePolicy", GetRolePolicy},
    {"DeleteRolePolicy", DeleteRolePolicy},
    {"ListRolePolicies", ListRolePolicies},
    {"AttachRolePolicy", AttachRolePolicy},
    {"DetachRolePolicy", DetachRolePolicy},
    {"ListAttachedRolePolicies", ListAttachedRolePolicies},
});

// IAM actions we know but do not serve yet: 501 rather than AWS's InvalidAction.
constexpr auto kIamActionsNotYet = std::to_array<std::string_view>({
    "UpdateRole",
    "UpdateRoleDescription",
    "TagRole",
    "UntagRole",
    "ListRoleTags",
    "PutRolePermissionsBoundary",
    "DeleteRolePermissionsBoundary",
    "CreatePolicyVersion",
    "DeletePolicyVersion",
    "ListPolicyVersions",
    "SetDefaultPolicyVersion",
    "UpdateUser",
    "UpdateGroup",
    "TagUser",
    "UntagUser",
    "ListUserTags",
    "CreateLoginProfile",
    "UpdateLoginProfile",
    "DeleteLoginProfile",
    "GetLoginProfile",
    "ListGroups",
    "ListEntitiesForPolicy",
    "GetAccessKeyLastUsed",
});

class StringSink final : public pugi::xml_writer {
 public:
  explicit StringSink(std::string& out) : out_(out) {}
  void write(const void* data, size_t size) override {
    out_.append(static_cast<const char*>(data), size);
  }

 private:
  std::string& out_;
};

std::string Save(pugi::xml_document& doc) {
  std::string out;
  StringSink sink(out);
  doc.save(sink, "", pugi::format_raw, pugi::encoding_utf8);
  return out;
}

pugi::xml_node Root(pugi::xml_document& doc, const std::string& name) {
  pugi::xml_node decl = doc.append_child(pugi::node_declaration);
  decl.append_attribute("version") = "1.0";
  decl.append_attribute("encoding") = "UTF-8";
  pugi::xml_node root = doc.append_child(name.c_str());
  root.append_attribute("xmlns") = std::string(kIamNamespace).c_str();
  return root;
}

ApiError Send(http::Exchange& ex, int status, const std::string& xml) {
  http::ResponseWriter& resp = ex.response();
  resp.set_status(status);
  resp.add_header("Content-Type", "text/xml");
  return resp.send(xml);
}

ApiError SendIamError(http::Exchange& ex, const iam::IamError& e, std::string_view request_id) {
  pugi::xml_document doc;
  pugi::xml_node root = Root(doc, "ErrorResponse");
  pugi::xml_node err = root.append_child("Error");
  Text(err, "Type", e.http_status >= 500 ? "Receiver" : "Sender");
  Text(err, "Code", e.code);
  Text(err, "Message", e.message);
  Text(root, "RequestId", request_id);
  return Send(ex, e.http_status, Save(doc));
}

// The ARN an action acts on, for the caller's policies: the named user, group or policy.
std::string TargetArn(const Call& call) {
  if (auto p = call.param("PolicyArn")) return std::string(*p);
  if (auto g = call.param("GroupName")) return iam::GroupArn(*g);
  if (auto r = call.param("RoleName")) return iam::RoleArn(*r);
  if (auto u = call.param("UserName")) return iam::UserArn(*u);
  return "*";
}

}  // namespace

std::string_view ScopeService(std::string_view scope) {
  size_t a = scope.find('/');
  if (a == std::string_view::npos) return {};
  size_t b = scope.find('/', a + 1);
  if (b == std::string_view::npos) return {};
  size_t c = scope.find('/', b + 1);
  if (c == std::string_view::npos) return {};
  return scope.substr(b + 1, c - b - 1);
}

ApiError IamApi::serve(http::Exchange& ex, const auth::AuthContext& auth, std::string_view form,
                       std::string_view request_id, std::string_view& op_name,
                       std::optional<AuthzDenial>& denial) {
  op_name = "IAM";
  auto params = http::ParseQuery(form, ex.arena(), 256);
  if (!params) return SendIamError(ex, Validation("The request body is malformed."), request_id);
  const http::QueryParam* action = http::FindParam(*params, "Action");
  const http::QueryParam* version = http::FindParam(*params, "Version");
  if (action == nullptr || action->value.empty()) {
    return SendIamError(ex, {"MissingAction", 400, "Missing Action"}, request_id);
  }
  op_name = ex.arena().copy("iam:" + std::string(action->value));
  if (version == nullptr || version->value != "2010-05-08") {
    return SendIamError(ex, {"InvalidParameterValue", 400, "Version must be 2010-05-08"},
                        request_id);
  }
  const IamActionRow* row = nullptr;
  for (const IamActionRow& r : kIamActions) {
    if (r.name == action->value) row = &r;
  }
  if (row == nullptr) {
    for (std::string_view n : kIamActionsNotYet) {
      if (n == action->value) {
        return SendIamError(ex, {"NotImplemented", 501, "This IAM action is not implemented"},
                            request_id);
      }
    }
    return SendIamError(ex,
                        {"InvalidAction", 400,
                         "The action or operation requested is invalid. Verify that the "
                         "action is typed correctly."},
                        request_id);
  }

  pugi::xml_document doc;
  const std::string name(action->value);
  pugi::xml_node root = Root(doc, name + "Response");
  Call call{*params, auth, store_, {}, false, root.append_child((name + "Result").c_str())};
  if (!auth.is_root) {
    auto snap = store_.snapshot();
    std::string who;
    if (!auth.session_token.empty()) {
      auto claims = store_.open_session(auth.session_token);
      if (!claims) return Code::kAccessDenied;
      who = iam::AssumedRoleArn(claims->role_name, claims->session_name);
      call.session = true;
    } else {
      const iam::User* user = snap->user_by_key(auth.access_key);
      if (user == nullptr) return Code::kAccessDenied;
      call.caller = user->name;
      who = iam::UserArn(user->name, user->path);
    }
    std::string target = TargetArn(call);
    AuthzRequest req{.auth = auth,
                     .action = op_name,
                     .resource = target,
                     .bucket = {},
                     .query = {},
                     .remote_address = ex.remote_address(),
                     .secure = ex.secure()};
    AuthzVerdict verdict = authorizer_.decide(req);
    if (!verdict.allowed) {
      denial = AuthzDenial{std::move(verdict.principal), std::string(op_name), target,
                           std::move(verdict.deciding)};
      return SendIamError(ex,
                          {"AccessDenied", 403,
                           "User: " + who + " is not authorized to perform: " +
                               std::string(op_name) + " on resource: " + target},
                          request_id);
    }
  }
  if (Outcome refused = row->fn(call)) return SendIamError(ex, *refused, request_id);
  if (!call.result.first_child()) root.remove_child(call.result);
  Text(root.append_child("ResponseMetadata"), "RequestId", request_id);
  return Send(ex, 200, Save(doc));
}

}  // namespace flashstor::s3
