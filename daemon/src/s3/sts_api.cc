// StsApi::serve: form body, Version check, dispatch, STS's XML envelopes; AssumeRole (trust
// policy and the caller's own policies), AssumeRoleWithWebIdentity (JWT, Federated trust with
// <host>:aud / :sub conditions) and GetCallerIdentity; the session issued as a sealed token.
#include "sts_api.h"

#include <pugixml.hpp>

#include <charconv>
#include <ctime>

#include "flashstor/http/uri.h"
#include "flashstor/iam/session_token.h"
#include "iam_api_internal.h"
#include "pugi_helpers.h"

namespace flashstor::s3 {
namespace {

using iam::IamError;
using Outcome = std::optional<IamError>;

IamError Validation(std::string m) {
  return {"ValidationError", 400, std::move(m)};
}
IamError Denied(std::string m) {
  return {"AccessDenied", 403, std::move(m)};
}

std::string IsoExpiry(int64_t t) {
  return iamapi::IsoTime(t);
}

pugi::xml_node Root(pugi::xml_document& doc, const std::string& name) {
  pugi::xml_node root = doc.append_child(name.c_str());
  root.append_attribute("xmlns") = std::string(kStsNamespace).c_str();
  return root;
}

ApiError Send(http::Exchange& ex, int status, pugi::xml_document& doc) {
  std::string xml;
  StringWriter sink(xml);
  doc.save(sink, "", pugi::format_raw, pugi::encoding_utf8);
  http::ResponseWriter& resp = ex.response();
  resp.set_status(status);
  resp.add_header("Content-Type", "text/xml");
  return resp.send(xml);
}

ApiError SendError(http::Exchange& ex, const IamError& e, std::string_view request_id) {
  pugi::xml_document doc;
  pugi::xml_node root = Root(doc, "ErrorResponse");
  pugi::xml_node err = root.append_child("Error");
  iamapi::Text(err, "Type", e.http_status >= 500 ? "Receiver" : "Sender");
  iamapi::Text(err, "Code", e.code);
  iamapi::Text(err, "Message", e.message);
  iamapi::Text(root, "RequestId", request_id);
  return Send(ex, e.http_status, doc);
}

std::optional<std::string_view> Param(std::span<const http::QueryParam> params,
                                      std::string_view name) {
  const http::QueryParam* p = http::FindParam(params, name);
  if (p == nullptr) return std::nullopt;
  return p->value;
}

// RoleSessionName: 2..64 of [\w+=,.@-].
bool ValidSessionName(std::string_view s) {
  return s.size() >= 2 && s.size() <= 64 && iamapi::ValidName(s, 64);
}

// The role a RoleArn names (arn:aws:iam::000000000000:role[/path]/name), or nullptr.
const iam::Role* RoleOf(const iam::IamSnapshot& snap, std::string_view arn) {
  size_t slash = arn.rfind('/');
  if (slash == std::string_view::npos) return nullptr;
  const iam::Role* role = snap.role(arn.substr(slash + 1));
  if (role == nullptr || iam::RoleArn(role->name, role->path) != arn) return nullptr;
  return role;
}

// The request parameters every AssumeRole* action shares, validated.
struct SessionRequest {
  std::string role_arn, session_name, policy;
  std::vector<std::string> policy_arns;
  int64_t duration = 3600;
};

// Parameters AWS accepts that this server does not implement: refused, never ignored.
constexpr std::string_view kUnsupportedPrefixes[] = {
    "ExternalId", "SerialNumber",       "TokenCode",         "SourceIdentity",
    "Tags.",      "TransitiveTagKeys.", "ProvidedContexts.", "ProviderId"};

Outcome ParseSessionRequest(std::span<const http::QueryParam> params, const StsConfig& config,
                            const iam::IamSnapshot& snap, SessionRequest& out) {
  for (const http::QueryParam& p : params) {
    for (std::string_view prefix : kUnsupportedPrefixes) {
      if (p.name.starts_with(prefix)) {
        return IamError{"NotImplemented", 501,
                        "The parameter " + std::string(p.name) + " is not implemented"};
      }
    }
  }
  auto arn = Param(params, "RoleArn");
  if (!arn) return iamapi::Missing("roleArn");
  if (arn->size() < 20 || arn->size() > 2048) return Validation("RoleArn must be 20 to 2048");
  out.role_arn = std::string(*arn);
  auto name = Param(params, "RoleSessionName");
  if (!name) return iamapi::Missing("roleSessionName");
  if (!ValidSessionName(*name)) {
    return Validation(
        "1 validation error detected: Value at 'roleSessionName' failed to satisfy "
        "constraint: Member must have length 2 to 64 and match [\\w+=,.@-]*");
  }
  out.session_name = std::string(*name);
  if (auto d = Param(params, "DurationSeconds")) {
    int64_t v = 0;
    auto [end, ec] = std::from_chars(d->data(), d->data() + d->size(), v);
    if (ec != std::errc() || end != d->data() + d->size() || v < config.min_duration_seconds ||
        v > iam::kMaxRoleSessionSeconds) {
      return Validation("1 validation error detected: Value '" + std::string(*d) +
                        "' at 'durationSeconds' failed to satisfy constraint: Member must have "
                        "value between " +
                        std::to_string(config.min_duration_seconds) + " and 43200");
    }
    out.duration = v;
  }
  if (auto p = Param(params, "Policy")) {
    if (p->empty() || p->size() > iam::kMaxSessionPolicyChars) {
      return Validation("Policy must be 1 to 2048 characters");
    }
    auto parsed = iam::ParsePolicy(*p, iam::PolicyKind::kIdentity);
    if (!parsed) return IamError{"MalformedPolicyDocument", 400, parsed.error().reason};
    out.policy = std::string(*p);
  }
  for (size_t i = 1;; ++i) {
    auto a = Param(params, "PolicyArns.member." + std::to_string(i) + ".arn");
    if (!a) break;
    if (i > iam::kMaxSessionPolicyArns) return Validation("PolicyArns: at most 10 policies");
    if (snap.state().policies.find(*a) == snap.state().policies.end()) {
      return Validation("PolicyArns: policy " + std::string(*a) + " does not exist");
    }
    out.policy_arns.emplace_back(*a);
  }
  return std::nullopt;
}

// Whether the role's trust policy lets `who` perform `action` (explicit deny wins).
bool TrustAllows(const iam::Role& role, const iam::Principal& who, std::string_view action,
                 iam::RequestContext::keys_type keys) {
  auto trust = iam::ParsePolicy(role.trust_policy, iam::PolicyKind::kTrust);
  if (!trust) return false;
  const std::string arn = iam::RoleArn(role.name, role.path);
  iam::RequestContext ctx;
  ctx.action = action;
  ctx.resource = arn;
  ctx.principal = &who;
  ctx.keys = std::move(keys);
  return iam::Evaluate(*trust, ctx) == iam::Decision::kAllow;
}

// Issues the session and writes Credentials and AssumedRoleUser into result.
Outcome IssueSession(iam::IamStore& store, const iam::Role& role, const SessionRequest& req,
                     std::string source, pugi::xml_node result) {
  if (req.duration > role.max_session_seconds) {
    return Validation(
        "The requested DurationSeconds exceeds the MaxSessionDuration set for "
        "this role.");
  }
  iam::SessionClaims claims;
  claims.access_key = iamapi::RandomId("ASIA", 16);
  claims.secret_key = iamapi::RandomId("", 40);
  claims.expiration = static_cast<int64_t>(std::time(nullptr)) + req.duration;
  claims.role_name = role.name;
  claims.role_id = role.id;
  claims.session_name = req.session_name;
  claims.source = std::move(source);
  claims.policy = req.policy;
  claims.policy_arns = req.policy_arns;
  std::optional<std::string> token = store.seal_session(claims);
  if (!token) return IamError{"PackedPolicyTooLarge", 400, "The session does not fit a token."};
  pugi::xml_node creds = result.append_child("Credentials");
  iamapi::Text(creds, "AccessKeyId", claims.access_key);
  iamapi::Text(creds, "SecretAccessKey", claims.secret_key);
  iamapi::Text(creds, "SessionToken", *token);
  iamapi::Text(creds, "Expiration", IsoExpiry(claims.expiration));
  pugi::xml_node user = result.append_child("AssumedRoleUser");
  iamapi::Text(user, "AssumedRoleId", role.id + ":" + req.session_name);
  iamapi::Text(user, "Arn", iam::AssumedRoleArn(role.name, req.session_name));
  if (!req.policy.empty()) {
    iamapi::Text(result, "PackedPolicySize",
                 std::to_string(req.policy.size() * 100 / iam::kMaxSessionPolicyChars));
  }
  return std::nullopt;
}

// The signed caller as policies see it; nullopt when the key is no longer known.
std::optional<iam::Principal> Caller(const iam::IamStore& store, const iam::IamSnapshot& snap,
                                     const auth::AuthContext& auth) {
  iam::Principal who;
  who.anonymous = false;
  who.account = std::string(iam::kAccountId);
  if (auth.is_root) {
    who.arn = "arn:aws:iam::" + who.account + ":root";
    who.userid = who.account;
  } else if (!auth.session_token.empty()) {
    auto claims = store.open_session(auth.session_token);
    const iam::Role* role = claims ? snap.role(claims->role_name) : nullptr;
    if (role == nullptr || role->id != claims->role_id) return std::nullopt;
    who.arn = iam::AssumedRoleArn(role->name, claims->session_name);
    who.role_arn = iam::RoleArn(role->name, role->path);
    who.userid = role->id + ":" + claims->session_name;
  } else {
    const iam::User* user = snap.user_by_key(auth.access_key);
    if (user == nullptr) return std::nullopt;
    who.arn = iam::UserArn(user->name, user->path);
    who.username = user->name;
    who.userid = user->id;
  }
  return who;
}

struct Ctx {
  http::Exchange& ex;
  const auth::AuthContext& auth;
  std::span<const http::QueryParam> params;
  iam::IamStore& store;
  Authorizer& authorizer;
  const StsConfig& config;
  pugi::xml_node result;
};

Outcome GetCallerIdentity(Ctx& c) {
  auto snap = c.store.snapshot();
  std::optional<iam::Principal> who = Caller(c.store, *snap, c.auth);
  if (!who) return Denied("The caller is no longer known.");
  iamapi::Text(c.result, "UserId", who->userid);
  iamapi::Text(c.result, "Account", who->account);
  iamapi::Text(c.result, "Arn", who->arn);
  return std::nullopt;
}

Outcome AssumeRole(Ctx& c) {
  auto snap = c.store.snapshot();
  SessionRequest req;
  if (Outcome bad = ParseSessionRequest(c.params, c.config, *snap, req)) return bad;
  std::optional<iam::Principal> who = Caller(c.store, *snap, c.auth);
  if (!who) return Denied("The caller is no longer known.");
  const std::string refusal =
      "User: " + who->arn +
      " is not authorized to perform: sts:AssumeRole on resource: " + req.role_arn;
  const iam::Role* role = RoleOf(*snap, req.role_arn);
  if (role == nullptr) return Denied(refusal);
  iam::RequestContext base;
  AuthzRequest authz{.auth = c.auth,
                     .action = "sts:AssumeRole",
                     .resource = req.role_arn,
                     .bucket = {},
                     .query = {},
                     .remote_address = c.ex.remote_address(),
                     .secure = c.ex.secure()};
  AddRequestKeys(authz, base);
  if (!TrustAllows(*role, *who, "sts:AssumeRole", base.keys)) return Denied(refusal);
  // Users and sessions also need their own policies to allow sts:AssumeRole on the role.
  if (!c.auth.is_root && !c.authorizer.authorize(authz).ok()) return Denied(refusal);
  return IssueSession(c.store, *role, req, who->arn, c.result);
}

// "https://issuer.example/path" -> "issuer.example/path": the prefix of the condition keys.
std::string IssuerKeyPrefix(std::string_view issuer) {
  if (size_t p = issuer.find("://"); p != std::string_view::npos) issuer.remove_prefix(p + 3);
  while (issuer.ends_with('/')) issuer.remove_suffix(1);
  return std::string(issuer);
}

Outcome AssumeRoleWithWebIdentity(Ctx& c) {
  if (c.config.web_identity == nullptr) {
    return IamError{"InvalidIdentityToken", 400,
                    "No OpenID Connect provider is configured for web identity federation."};
  }
  auto snap = c.store.snapshot();
  SessionRequest req;
  if (Outcome bad = ParseSessionRequest(c.params, c.config, *snap, req)) return bad;
  auto token = Param(c.params, "WebIdentityToken");
  if (!token) return iamapi::Missing("webIdentityToken");
  if (token->size() < 4 || token->size() > iam::kMaxWebIdentityTokenBytes) {
    return Validation("WebIdentityToken must be 4 to 16384 characters");
  }
  auto claims = c.config.web_identity->verify(*token, static_cast<int64_t>(std::time(nullptr)));
  if (!claims) {
    const bool expired = claims.error() == "the token has expired";
    return IamError{expired ? "ExpiredTokenException" : "InvalidIdentityToken", 400,
                    "The web identity token was refused: " + claims.error()};
  }
  const iam::Role* role = RoleOf(*snap, req.role_arn);
  const std::string refusal = "Not authorized to perform sts:AssumeRoleWithWebIdentity";
  if (role == nullptr) return Denied(refusal);
  iam::Principal who;
  who.anonymous = false;
  who.federated = claims->issuer;
  const std::string prefix = IssuerKeyPrefix(claims->issuer);
  iam::RequestContext::keys_type keys;
  keys[prefix + ":aud"] = {claims->audience};
  keys[prefix + ":sub"] = {claims->subject};
  keys["aws:sourceip"] = {
      std::string(c.ex.remote_address().substr(0, c.ex.remote_address().rfind(':')))};
  // Condition keys are compared lowercase (policy.h).
  iam::RequestContext::keys_type lowered;
  for (auto& [k, v] : keys) {
    std::string l = k;
    for (char& ch : l) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    lowered[l] = v;
  }
  if (!TrustAllows(*role, who, "sts:AssumeRoleWithWebIdentity", lowered)) return Denied(refusal);
  if (Outcome bad = IssueSession(c.store, *role, req, claims->subject, c.result)) return bad;
  iamapi::Text(c.result, "SubjectFromWebIdentityToken", claims->subject);
  iamapi::Text(c.result, "Audience", claims->audience);
  iamapi::Text(c.result, "Provider", claims->issuer);
  return std::nullopt;
}

struct StsActionRow {
  std::string_view name;
  Outcome (*fn)(Ctx&);
  bool unsigned_ok;
};

constexpr StsActionRow kStsActions[] = {
    {"GetCallerIdentity", GetCallerIdentity, false},
    {"AssumeRole", AssumeRole, false},
    {"AssumeRoleWithWebIdentity", AssumeRoleWithWebIdentity, true},
};

constexpr std::string_view kStsActionsNotYet[] = {
    "GetSessionToken",     "GetFederationToken",         "AssumeRoleWithSAML",
    "GetAccessKeyInfo",    "DecodeAuthorizationMessage", "AssumeRoot",
    "GetWebIdentityToken",
};

}  // namespace

ApiError StsApi::serve(http::Exchange& ex, const auth::AuthContext& auth, std::string_view form,
                       std::string_view request_id, std::string_view& op_name) {
  op_name = "STS";
  auto params = http::ParseQuery(form, ex.arena(), 256);
  if (!params) return SendError(ex, Validation("The request body is malformed."), request_id);
  auto action = Param(*params, "Action");
  if (!action || action->empty()) {
    return SendError(ex, {"MissingAction", 400, "Missing Action"}, request_id);
  }
  op_name = ex.arena().copy("sts:" + std::string(*action));
  if (Param(*params, "Version") != std::optional<std::string_view>("2011-06-15")) {
    return SendError(ex, {"InvalidParameterValue", 400, "Version must be 2011-06-15"}, request_id);
  }
  const StsActionRow* row = nullptr;
  for (const StsActionRow& r : kStsActions) {
    if (r.name == *action) row = &r;
  }
  if (row == nullptr) {
    for (std::string_view n : kStsActionsNotYet) {
      if (n == *action) {
        return SendError(ex, {"NotImplemented", 501, "This STS action is not implemented"},
                         request_id);
      }
    }
    return SendError(ex, {"InvalidAction", 400, "Could not find operation " + std::string(*action)},
                     request_id);
  }
  if (auth.anonymous && !row->unsigned_ok) {
    return SendError(ex,
                     {"MissingAuthenticationToken", 403, "Request is missing Authentication Token"},
                     request_id);
  }
  pugi::xml_document doc;
  const std::string name(*action);
  pugi::xml_node root = Root(doc, name + "Response");
  Ctx ctx{ex,
          auth,
          *params,
          store_,
          authorizer_,
          config_,
          root.append_child((name + "Result").c_str())};
  if (Outcome refused = row->fn(ctx)) return SendError(ex, *refused, request_id);
  iamapi::Text(root.append_child("ResponseMetadata"), "RequestId", request_id);
  return Send(ex, 200, doc);
}

}  // namespace flashstor::s3
