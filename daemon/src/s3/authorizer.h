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
#include "flashstor/http/exchange.h"
#include "flashstor/http/uri.h"
#include "flashstor/iam/iam_store.h"
#include "flashstor/iam/policy.h"
#include "flashstor/mem/arena.h"
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
  std::string_view tls_protocol{};  // "TLSv1.3" (s3:TlsVersion 1.3); empty over plain TCP
  // The HTTP request whose headers give s3:x-amz-acl, s3:RequestObjectTag/<key>, ...
  // (nullptr: none, e.g. IAM calls).
  const http::Request* http = nullptr;
  mem::Arena* arena = nullptr;  // scratch for decoding x-amz-tagging (the request's arena)
  // The object checked (s3:ExistingObjectTag/<key> reads its tags when a policy asks) and
  // the version named (s3:VersionId); empty for bucket-level requests.
  std::string_view key{};
  std::string_view version_id{};
  // Keys an operation found in its body (PutObjectTagging's tags, PutObjectRetention's
  // mode), added to the request's own; nullptr: none.
  const iam::RequestContext::keys_type* body_keys = nullptr;
  // The S3 request's object layer context (deadline, trace id) for the reads a decision
  // makes (existing object tags); nullptr: none (IAM calls).
  const object::RequestContext* object_ctx = nullptr;
};

// The request of an S3 operation on bucket/key (the key may be empty), with the exchange's
// peer, transport and headers; the version from the query's versionId.
AuthzRequest S3AuthzRequest(const auth::AuthContext& auth, http::Exchange& ex,
                            std::span<const http::QueryParam> query, std::string_view action,
                            std::string_view bucket, std::string_view key);

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
  // tags_loaded: ctx already holds the object's s3:ExistingObjectTag/<key> values; else
  // they are read when the first policy with such a condition is evaluated.
  Evaluated evaluate(const AuthzRequest& r, const iam::IamSnapshot& snap, const iam::User* user,
                     iam::RequestContext& ctx, bool tags_loaded);
  // s3:ExistingObjectTag/<key> of the request's object into ctx, once (loaded), when policy
  // reads them: a metadata read only for policies that need it.
  void add_existing_tags(const AuthzRequest& r, const iam::Policy& policy, iam::RequestContext& ctx,
                         bool& loaded);
  void load_existing_tags(const AuthzRequest& r, iam::RequestContext& ctx);
  // An STS role session (authorizer_session.cc): the role's policies (and the bucket's)
  // intersected with the session policies.
  ApiError authorize_session(const AuthzRequest& r);
  // Folds one policy's decision for a session into allowed; false when it denies.
  bool apply_session_policy(const AuthzRequest& r, const iam::Policy& policy,
                            iam::RequestContext& ctx, bool& tags_loaded, bool& allowed);

  object::ObjectLayer& layer_;
  const iam::IamStore& iam_;
  const uint64_t id_;  // tells this authorizer's cache entries from another's
  std::mutex mu_;
  std::unordered_map<std::string, std::pair<std::string, std::shared_ptr<const iam::Policy>>>
      parsed_;
};

// The condition keys every request carries (aws:SourceIp, aws:CurrentTime, s3:prefix, ...),
// those of its headers (s3:x-amz-acl, s3:object-lock-mode, s3:RequestObjectTag/<key>, ...)
// and of its body, plus its action and resource (authz_request.cc).
void AddRequestKeys(const AuthzRequest& r, iam::RequestContext& ctx);
// s3:object-lock-remaining-retention-days of a retain-until date (whole days from now,
// rounded up; 0 when past).
void AddRemainingRetentionDays(int64_t until_ns, iam::RequestContext::keys_type& keys);
// s3:RequestObjectTag/<key> (lowercase key) and s3:RequestObjectTagKeys of a tag set.
void AddRequestTagKeys(const object::Metadata& tags, iam::RequestContext::keys_type& keys);
// s3:ExistingObjectTag/<key> applies to this action (AWS: reads of an object and changes of
// its tags, ACL, retention or legal hold; never PutObject or DeleteObject).
bool ActionReadsExistingTags(std::string_view action);

// "arn:aws:s3:::bucket", "arn:aws:s3:::bucket/key", "arn:aws:s3:::*" without a bucket.
std::string S3Arn(std::string_view bucket, std::string_view key);

}  // namespace flashstor::s3
