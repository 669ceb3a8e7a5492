// Authorizer: the one decision after authentication, for every S3 request. Root may do
// everything; an IAM user what its identity policies (inline, attached, groups') or the
// bucket's policy allow, unless any of them denies explicitly; an anonymous caller only what
// the bucket policy allows to Principal "*". AWS's evaluation order for one account.
// Decisions are remembered per thread (authz_cache.h) until the authorisation epoch moves.
#pragma once

#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>

#include "authz_cache.h"
#include "flashstor/auth/sigv4.h"
#include "flashstor/http/uri.h"
#include "flashstor/iam/iam_store.h"
#include "flashstor/iam/policy.h"
#include "flashstor/object/object_layer.h"
#include "flashstor/s3/error_table.h"

namespace flashstor::s3 {

struct AuthzRequest {
  const auth::AuthContext& auth;
  std::string_view action;  // "s3:GetObject", "iam:CreateUser"
  std::string resource;     // ARN
  std::string_view bucket;  // empty: no bucket policy applies
  std::span<const http::QueryParam> query;
  std::string_view remote_address;  // "ip:port" or "[ip6]:port"
  bool secure = false;
};

// A refused request, as the audit log records it (never a secret or a signature).
struct AuthzDenial {
  std::string principal;   // user ARN or "anonymous"
  std::string action;      // "s3:GetObject", "iam:CreateUser"
  std::string resource;    // ARN
  std::string decided_by;  // AuthzVerdict::deciding, or "authentication: <S3 error code>"
};

class Authorizer {
 public:
  Authorizer(object::ObjectLayer& layer, const iam::IamStore& iam);

  // Ok or kAccessDenied.
  ApiError authorize(const AuthzRequest& r);
  // The decision and its deciding statement; answered from the calling thread's cache when
  // nothing changed since (thread-safe).
  AuthzVerdict decide(const AuthzRequest& r);
  // The same, never cached (the benchmark's baseline, and the cache's oracle in tests).
  AuthzVerdict decide_uncached(const AuthzRequest& r);

  // The bucket's parsed policy (nullptr: none), cached by document text.
  std::shared_ptr<const iam::Policy> bucket_policy(std::string_view bucket);

 private:
  struct Evaluated;
  // RestrictPublicBuckets is set on the bucket and its policy is public.
  bool RestrictsPublicPolicy(std::string_view bucket, const iam::Policy& policy);
  // decide with the given cache (nullptr: none) at the epoch read before.
  AuthzVerdict decide_at(const AuthzRequest& r, DecisionCache* cache, uint64_t epoch);
  Evaluated evaluate(const AuthzRequest& r, const iam::IamSnapshot& snap, const iam::User* user,
                     const iam::RequestContext& ctx);
  // An STS role session (authorizer_session.cc): the role's policies (and the bucket's)
  // intersected with the session policies.
  ApiError authorize_session(const AuthzRequest& r);

  object::ObjectLayer& layer_;
  const iam::IamStore& iam_;
  const uint64_t id_;  // tells this authorizer's cache entries from another's
  std::mutex mu_;
  std::unordered_map<std::string, std::pair<std::string, std::shared_ptr<const iam::Policy>>>
      parsed_;
};

// The condition keys every request carries (aws:SourceIp, aws:CurrentTime, s3:prefix, ...),
// plus its action and resource.
void AddRequestKeys(const AuthzRequest& r, iam::RequestContext& ctx);

// "arn:aws:s3:::bucket", "arn:aws:s3:::bucket/key", "arn:aws:s3:::*" without a bucket.
std::string S3Arn(std::string_view bucket, std::string_view key);
// The resource an operation is checked against: S3Arn, except DeleteObjects, checked as
// "arn:aws:s3:::bucket/*" (every key of the bucket: conservative until keys are checked one
// by one, as AWS does).
std::string S3Resource(std::string_view op_name, std::string_view bucket, std::string_view key);

}  // namespace flashstor::s3
