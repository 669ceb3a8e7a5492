// Authorizer::authorize: principal and request context (aws:SourceIp, aws:SecureTransport,
// aws:CurrentTime, aws:username, s3:prefix, ...), identity policies, then the bucket policy.
#include "authorizer.h"

#include <atomic>
#include <cctype>

#include "flashstor/common/authz_epoch.h"
#include "flashstor/object/bucket_metadata.h"
#include "flashstor/obs/metrics.h"
#include "public_access_block.h"

namespace flashstor::s3 {
namespace {

struct CacheCounters {
  obs::Counter& hits;
  obs::Counter& misses;
};

CacheCounters& Counters() {
  static CacheCounters counters{
      obs::DefaultRegistry().counter("flashstor_authz_cache_hits_total", {},
                                     "Authorisation decisions answered from the decision cache"),
      obs::DefaultRegistry().counter("flashstor_authz_cache_misses_total", {},
                                     "Authorisation decisions evaluated from the policies")};
  return counters;
}

std::string StatementName(const iam::Policy& policy, int index) {
  const std::string& sid = policy.statements[static_cast<size_t>(index)].sid;
  return sid.empty() ? "#" + std::to_string(index) : sid;
}

std::atomic<uint64_t> g_next_authorizer_id{1};

}  // namespace

Authorizer::Authorizer(object::ObjectLayer& layer, const iam::IamStore& iam)
    : layer_(layer), iam_(iam), id_(g_next_authorizer_id.fetch_add(1)) {}

// Bucket settings a decision reads (policy, public access block) come from the object
// layer's cache: no request wait worth a deadline, so these lookups carry no request context.
const object::RequestContext kSettingsLookup{};

std::string S3Arn(std::string_view bucket, std::string_view key) {
  if (bucket.empty()) return "arn:aws:s3:::*";
  std::string arn = "arn:aws:s3:::" + std::string(bucket);
  if (!key.empty()) arn.append("/").append(key);
  return arn;
}

std::shared_ptr<const iam::Policy> Authorizer::bucket_policy(std::string_view bucket) {
  auto meta = layer_.get_bucket_metadata(kSettingsLookup, bucket);
  if (!meta) return nullptr;
  const std::string* doc = (*meta)->config(object::kConfigPolicy);
  std::lock_guard<std::mutex> lock(mu_);
  if (doc == nullptr) {
    parsed_.erase(std::string(bucket));
    return nullptr;
  }
  auto it = parsed_.find(std::string(bucket));
  if (it != parsed_.end() && it->second.first == *doc) return it->second.second;
  auto policy = iam::ParsePolicy(*doc, iam::PolicyKind::kResource);
  if (!policy) return nullptr;  // validated when stored; a damaged record grants nothing
  auto shared = std::make_shared<const iam::Policy>(std::move(*policy));
  parsed_[std::string(bucket)] = {*doc, shared};
  return shared;
}

ApiError Authorizer::authorize(const AuthzRequest& r) {
  return decide(r).allowed ? ApiError() : ApiError(Code::kAccessDenied);
}

namespace {

// The request context the policies see.
iam::RequestContext BuildContext(const AuthzRequest& r, const iam::Principal& who,
                                 const iam::User* user) {
  iam::RequestContext ctx;
  ctx.principal = &who;
  AddRequestKeys(r, ctx);
  if (user != nullptr) {
    ctx.keys["aws:username"] = {user->name};
    ctx.keys["aws:userid"] = {user->id};
  }
  return ctx;
}

void AddKeys(const iam::Policy& policy, std::vector<std::string>& keys) {
  for (std::string& k : iam::ContextKeysRead(policy)) keys.push_back(std::move(k));
}

}  // namespace

struct Authorizer::Evaluated {
  AuthzVerdict verdict;
  std::vector<std::string> context_keys;  // read by any policy evaluated
};

void Authorizer::add_existing_tags(const AuthzRequest& r, const iam::Policy& policy,
                                   iam::RequestContext& ctx, bool& loaded) {
  if (loaded || !policy.reads_existing_object_tags) return;
  load_existing_tags(r, ctx);
  loaded = true;
}

void Authorizer::load_existing_tags(const AuthzRequest& r, iam::RequestContext& ctx) {
  if (r.bucket.empty() || r.key.empty() || !ActionReadsExistingTags(r.action)) return;
  const object::RequestContext none;
  Result<object::ObjectInfo> info =
      layer_.get_object_info(r.object_ctx != nullptr ? *r.object_ctx : none, r.bucket, r.key,
                             r.version_id, /*current_marker_ok=*/false);
  if (!info) return;  // no such object (or a delete marker): no tags to match
  for (const auto& [name, value] : info->tags) {
    std::string key(iam::kExistingObjectTagPrefix);
    for (char c : name)
      key.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    ctx.keys[key].push_back(value);
  }
}

Authorizer::Evaluated Authorizer::evaluate(const AuthzRequest& r, const iam::IamSnapshot& snap,
                                           const iam::User* user, iam::RequestContext& ctx,
                                           bool tags_loaded) {
  Evaluated out;
  out.verdict.principal = ctx.principal->anonymous ? "anonymous" : ctx.principal->arn;
  out.verdict.deciding = "implicit deny";
  std::string allowed_by;
  auto consider = [&](const iam::Policy& policy, std::string_view source) {
    AddKeys(policy, out.context_keys);
    add_existing_tags(r, policy, ctx, tags_loaded);
    iam::Evaluation e = iam::EvaluateWithStatement(policy, ctx);
    if (e.decision == iam::Decision::kNoMatch) return false;
    std::string name = std::string(source) + ":" + StatementName(policy, e.statement);
    if (e.decision == iam::Decision::kDeny) {
      out.verdict.deciding = std::move(name);
      return true;  // an explicit deny ends the evaluation
    }
    if (allowed_by.empty()) allowed_by = std::move(name);
    return false;
  };
  // The entry carries the keys of every policy evaluated; those after an explicit deny cannot
  // change it.
  bool denied = false;
  if (user != nullptr) {
    const auto& policies = snap.policies_of(user->name);
    const auto& sources = snap.policy_sources_of(user->name);
    for (size_t i = 0; i < policies.size() && !denied; ++i) {
      denied = consider(*policies[i], i < sources.size() ? sources[i] : "identity:?");
    }
  }
  if (!denied && !r.bucket.empty()) {
    if (auto policy = bucket_policy(r.bucket)) {
      if (ctx.principal->anonymous && RestrictsPublicPolicy(r.bucket, *policy)) {
        // RestrictPublicBuckets: a public policy grants nothing outside the account; its
        // denials still apply.
        std::string kept = std::move(allowed_by);
        allowed_by.clear();
        denied = consider(*policy, "bucket:policy");
        if (!denied && !allowed_by.empty()) {
          out.verdict.deciding = "bucket:public-access-block:RestrictPublicBuckets";
        }
        allowed_by = std::move(kept);
      } else {
        denied = consider(*policy, "bucket:policy");
      }
    }
  }
  if (!denied && !allowed_by.empty()) {
    out.verdict.allowed = true;
    out.verdict.deciding = std::move(allowed_by);
  }
  return out;
}

bool Authorizer::RestrictsPublicPolicy(std::string_view bucket, const iam::Policy& policy) {
  auto meta = layer_.get_bucket_metadata(kSettingsLookup, bucket);
  if (!meta) return false;
  auto pab = BucketPublicAccessBlock(**meta);
  return pab && pab->restrict_public_buckets && PolicyIsPublic(policy);
}

AuthzVerdict Authorizer::decide_uncached(const AuthzRequest& r) {
  return decide_at(r, nullptr, 0);
}

AuthzVerdict Authorizer::decide(const AuthzRequest& r) {
  // Read before anything the decision depends on: an entry made from state newer than its
  // epoch is merely re-made once; one made from older state is never tagged as newer.
  const uint64_t epoch = AuthzEpoch();
  return decide_at(r, &DecisionCache::ForThisThread(), epoch);
}

AuthzVerdict Authorizer::decide_at(const AuthzRequest& r, DecisionCache* cache, uint64_t epoch) {
  if (!r.auth.anonymous && r.auth.is_root) return {true, "root", "root"};
  if (!r.auth.anonymous && !r.auth.session_token.empty()) {
    // STS sessions are not cached: their rights live in the token (authorizer_session.cc).
    const bool allowed = authorize_session(r).ok();
    return {allowed, std::string(r.auth.access_key), allowed ? "session" : "session: deny"};
  }
  std::shared_ptr<const iam::IamSnapshot> snap = iam_.snapshot();
  iam::Principal who;
  const iam::User* user = nullptr;
  if (!r.auth.anonymous) {
    user = snap->user_by_key(r.auth.access_key);
    if (user == nullptr) return {false, std::string(r.auth.access_key), "implicit deny"};
    who.anonymous = false;
    who.account = std::string(iam::kAccountId);
    who.arn = iam::UserArn(user->name, user->path);
    who.username = user->name;
    who.userid = user->id;
  }
  iam::RequestContext ctx = BuildContext(r, who, user);
  if (cache == nullptr) return evaluate(r, *snap, user, ctx, false).verdict;
  cache->prepare(id_, r.auth.anonymous ? std::string_view("(anonymous)") : r.auth.access_key,
                 r.action, r.resource);
  // An entry whose policies read the object's tags is compared with the tags it has now.
  const bool tags_loaded = cache->entry_reads(epoch, iam::kExistingObjectTagPrefix);
  if (tags_loaded) load_existing_tags(r, ctx);
  if (const AuthzVerdict* hit = cache->find(epoch, ctx)) {
    Counters().hits.inc();
    return *hit;
  }
  Counters().misses.inc();
  Evaluated e = evaluate(r, *snap, user, ctx, tags_loaded);
  cache->store(epoch, std::move(e.context_keys), ctx, e.verdict);
  return std::move(e.verdict);
}

}  // namespace flashstor::s3
