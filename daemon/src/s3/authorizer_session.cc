// Authorizer::authorize_session: a request signed with STS temporary credentials. The
// session's rights are the role's policies (or the bucket policy) intersected with the
// session policies given at AssumeRole; an explicit deny anywhere wins, as AWS evaluates.
// Session policy documents are parsed once per thread (a bounded memo).
#include <memory>
#include <unordered_map>
#include <vector>

#include "authorizer.h"
#include "flashstor/iam/session_token.h"

namespace flashstor::s3 {
namespace {

// Session policies parsed once per thread and document: a session's requests all carry the
// same documents, which were validated at AssumeRole. Bounded: emptied when full.
std::shared_ptr<const iam::Policy> ParsedSessionPolicy(const std::string& document) {
  static constexpr size_t kMaxEntries = 64;
  thread_local std::unordered_map<std::string, std::shared_ptr<const iam::Policy>> parsed;
  if (auto it = parsed.find(document); it != parsed.end()) return it->second;
  auto policy = iam::ParsePolicy(document, iam::PolicyKind::kIdentity);
  if (!policy) return nullptr;
  if (parsed.size() >= kMaxEntries) parsed.clear();
  auto shared = std::make_shared<const iam::Policy>(std::move(*policy));
  parsed.emplace(document, shared);
  return shared;
}

}  // namespace

bool Authorizer::apply_session_policy(const AuthzRequest& r, const iam::Policy& policy,
                                      iam::RequestContext& ctx, bool& tags_loaded, bool& allowed) {
  add_existing_tags(r, policy, ctx, tags_loaded);
  iam::Decision d = iam::Evaluate(policy, ctx);
  if (d == iam::Decision::kDeny) return false;
  if (d == iam::Decision::kAllow) allowed = true;
  return true;
}

ApiError Authorizer::authorize_session(const AuthzRequest& r) {
  std::optional<iam::SessionClaims> claims = iam_.open_session(r.auth.session_token);
  if (!claims) return Code::kAccessDenied;
  std::shared_ptr<const iam::IamSnapshot> snap = iam_.snapshot();
  // A role deleted (or deleted and re-created: a new id) takes its sessions' rights with it.
  const iam::Role* role = snap->role(claims->role_name);
  if (role == nullptr || role->id != claims->role_id) return Code::kAccessDenied;

  iam::Principal who;
  who.anonymous = false;
  who.account = std::string(iam::kAccountId);
  who.arn = iam::AssumedRoleArn(role->name, claims->session_name);
  who.role_arn = iam::RoleArn(role->name, role->path);
  who.userid = role->id + ":" + claims->session_name;
  iam::RequestContext ctx;
  ctx.principal = &who;
  AddRequestKeys(r, ctx);
  ctx.keys["aws:userid"] = {who.userid};

  bool tags_loaded = false;
  auto apply = [&](const iam::Policy& policy, bool& allowed) {
    return apply_session_policy(r, policy, ctx, tags_loaded, allowed);
  };
  bool role_allows = false;
  for (const auto& policy : snap->policies_of_role(role->name)) {
    if (!apply(*policy, role_allows)) return Code::kAccessDenied;
  }
  bool bucket_allows = false;
  if (!r.bucket.empty()) {
    if (auto policy = bucket_policy(r.bucket)) {
      if (!apply(*policy, bucket_allows)) return Code::kAccessDenied;
    }
  }
  // Session policies limit what the role (or a bucket policy naming the role) grants.
  std::vector<std::shared_ptr<const iam::Policy>> session_policies;
  if (!claims->policy.empty()) {
    auto parsed = ParsedSessionPolicy(claims->policy);
    if (!parsed) return Code::kAccessDenied;  // validated at AssumeRole
    session_policies.push_back(std::move(parsed));
  }
  for (const std::string& arn : claims->policy_arns) {
    auto it = snap->state().policies.find(arn);
    if (it == snap->state().policies.end()) continue;  // deleted since: grants nothing
    if (auto parsed = ParsedSessionPolicy(it->second.document)) {
      session_policies.push_back(std::move(parsed));
    }
  }
  const bool limited = !claims->policy.empty() || !claims->policy_arns.empty();
  bool session_allows = false;
  for (const auto& policy : session_policies) {
    if (!apply(*policy, session_allows)) return Code::kAccessDenied;
  }
  const bool allowed = (role_allows || bucket_allows) && (!limited || session_allows);
  return allowed ? ApiError() : ApiError(Code::kAccessDenied);
}

}  // namespace flashstor::s3
