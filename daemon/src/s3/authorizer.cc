// Authorizer::authorize: principal and request context (aws:SourceIp, aws:SecureTransport,
// aws:CurrentTime, aws:username, s3:prefix, ...), identity policies, then the bucket policy.
#include "authorizer.h"

#include <ctime>

#include "flashstor/object/bucket_metadata.h"

namespace flashstor::s3 {
namespace {

std::string_view HostOf(std::string_view remote) {
  if (remote.starts_with('[')) {
    size_t close = remote.find(']');
    return close == std::string_view::npos ? remote.substr(1) : remote.substr(1, close - 1);
  }
  size_t colon = remote.rfind(':');
  return colon == std::string_view::npos ? remote : remote.substr(0, colon);
}

std::string IsoNow() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace

std::string S3Arn(std::string_view bucket, std::string_view key) {
  if (bucket.empty()) return "arn:aws:s3:::*";
  std::string arn = "arn:aws:s3:::" + std::string(bucket);
  if (!key.empty()) arn.append("/").append(key);
  return arn;
}

std::string S3Resource(std::string_view op_name, std::string_view bucket, std::string_view key) {
  if (op_name == "DeleteObjects") return S3Arn(bucket, "*");
  return S3Arn(bucket, key);
}

std::shared_ptr<const iam::Policy> Authorizer::bucket_policy(std::string_view bucket) {
  auto meta = layer_.get_bucket_metadata(bucket);
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
  if (!r.auth.anonymous && r.auth.is_root) return {};
  std::shared_ptr<const iam::IamSnapshot> snap = iam_.snapshot();
  iam::Principal who;
  const iam::User* user = nullptr;
  if (!r.auth.anonymous) {
    user = snap->user_by_key(r.auth.access_key);
    if (user == nullptr) return Code::kAccessDenied;
    who.anonymous = false;
    who.account = std::string(iam::kAccountId);
    who.arn = iam::UserArn(user->name, user->path);
    who.username = user->name;
    who.userid = user->id;
  }
  iam::RequestContext ctx;
  ctx.action = r.action;
  ctx.resource = r.resource;
  ctx.principal = &who;
  ctx.keys["aws:sourceip"] = {std::string(HostOf(r.remote_address))};
  ctx.keys["aws:securetransport"] = {r.secure ? "true" : "false"};
  ctx.keys["aws:currenttime"] = {IsoNow()};
  ctx.keys["aws:epochtime"] = {std::to_string(std::time(nullptr))};
  ctx.keys["aws:principaltype"] = {r.auth.anonymous ? "Anonymous" : "User"};
  if (user != nullptr) {
    ctx.keys["aws:username"] = {user->name};
    ctx.keys["aws:userid"] = {user->id};
  }
  for (const http::QueryParam& p : r.query) {
    if (p.name == "prefix" || p.name == "delimiter" || p.name == "max-keys") {
      ctx.keys["s3:" + std::string(p.name)] = {std::string(p.value)};
    }
  }

  bool allowed = false;
  if (user != nullptr) {
    for (const auto& policy : snap->policies_of(user->name)) {
      iam::Decision d = iam::Evaluate(*policy, ctx);
      if (d == iam::Decision::kDeny) return Code::kAccessDenied;
      if (d == iam::Decision::kAllow) allowed = true;
    }
  }
  if (!r.bucket.empty()) {
    if (auto policy = bucket_policy(r.bucket)) {
      iam::Decision d = iam::Evaluate(*policy, ctx);
      if (d == iam::Decision::kDeny) return Code::kAccessDenied;
      if (d == iam::Decision::kAllow) allowed = true;
    }
  }
  return allowed ? ApiError() : ApiError(Code::kAccessDenied);
}

}  // namespace flashstor::s3
