// The request context of an authorisation: the keys every request carries (aws:SourceIp,
// aws:CurrentTime, s3:prefix, ...), those of an S3 request's headers (s3:x-amz-acl,
// s3:object-lock-*, s3:RequestObjectTag/<key>, ...) and of an operation's body, and the
// builder of an S3 operation's AuthzRequest.
#include <array>
#include <cctype>
#include <cstdio>
#include <ctime>

#include "authorizer.h"
#include "flashstor/common/peer_address.h"
#include "flashstor/common/utc_time.h"
#include "flashstor/mem/arena.h"
#include "flashstor/s3/object_lock.h"
#include "flashstor/s3/tagging.h"

namespace flashstor::s3 {
namespace {

std::string IsoNow() {
  const UtcTime u = ToUtc(std::time(nullptr));  // no time-zone lock (common/utc_time.h)
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02dZ", u.year, u.month, u.day, u.hour,
                u.minute, u.second);
  return buf;
}

// The s3:authType condition value of an authentication method.
std::string_view AuthTypeName(auth::AuthMethod method) {
  switch (method) {
    case auth::AuthMethod::kQuery:
      return "REST-QUERY-STRING";
    case auth::AuthMethod::kPostForm:
      return "POST";
    default:
      return "REST-HEADER";
  }
}

std::string Lowercase(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Headers whose value is the condition key of the same name ("s3:" + header).
constexpr auto kHeaderKeys = std::to_array<std::string_view>({
    "x-amz-acl",
    "x-amz-server-side-encryption",
    "x-amz-server-side-encryption-aws-kms-key-id",
    "x-amz-server-side-encryption-customer-algorithm",
    "x-amz-copy-source",
    "x-amz-metadata-directive",
    "x-amz-content-sha256",
    "x-amz-storage-class",
    "x-amz-grant-read",
    "x-amz-grant-write",
    "x-amz-grant-read-acp",
    "x-amz-grant-write-acp",
    "x-amz-grant-full-control",
});

// Actions whose request may carry new object tags in x-amz-tagging (PutObject covers
// CopyObject and CreateMultipartUpload, as AWS's action table does).
bool ActionTakesTaggingHeader(std::string_view action) {
  return action == "s3:PutObject";
}

// s3:object-lock-* of a write's x-amz-object-lock-* headers.
void AddLockHeaderKeys(const http::Request& req, iam::RequestContext::keys_type& keys) {
  if (std::string_view mode = req.header("x-amz-object-lock-mode"); !mode.empty()) {
    keys["s3:object-lock-mode"] = {std::string(mode)};
  }
  if (std::string_view hold = req.header("x-amz-object-lock-legal-hold"); !hold.empty()) {
    keys["s3:object-lock-legal-hold"] = {std::string(hold)};
  }
  std::string_view until = req.header("x-amz-object-lock-retain-until-date");
  if (until.empty()) return;
  keys["s3:object-lock-retain-until-date"] = {std::string(until)};
  if (std::optional<int64_t> until_ns = ParseLockDate(until)) {
    AddRemainingRetentionDays(*until_ns, keys);
  }
}

void AddHeaderKeys(const AuthzRequest& r, iam::RequestContext& ctx) {
  const http::Request& req = *r.http;
  for (std::string_view name : kHeaderKeys) {
    std::string_view value = req.header(name);
    if (!value.empty()) ctx.keys["s3:" + std::string(name)] = {std::string(value)};
  }
  AddLockHeaderKeys(req, ctx.keys);
  if (ActionTakesTaggingHeader(r.action) && req.has_header("x-amz-tagging") && r.arena != nullptr) {
    object::Metadata tags;
    // A malformed header grants nothing here; the operation refuses it with its error.
    if (ParseTaggingHeader(req.header("x-amz-tagging"), *r.arena, tags).ok()) {
      AddRequestTagKeys(tags, ctx.keys);
    }
  }
}

}  // namespace

void AddRemainingRetentionDays(int64_t until_ns, iam::RequestContext::keys_type& keys) {
  // Whole days, rounded up: a date 10 days ahead counts 10 however late in the second.
  const int64_t seconds = until_ns / 1'000'000'000LL - static_cast<int64_t>(std::time(nullptr));
  const int64_t days = seconds <= 0 ? 0 : (seconds + 86399) / 86400;
  keys["s3:object-lock-remaining-retention-days"] = {std::to_string(days)};
}

void AddRequestTagKeys(const object::Metadata& tags, iam::RequestContext::keys_type& keys) {
  std::vector<std::string>& names = keys["s3:requestobjecttagkeys"];
  for (const auto& [name, value] : tags) {
    names.push_back(name);
    keys["s3:requestobjecttag/" + Lowercase(name)].push_back(value);
  }
}

bool ActionReadsExistingTags(std::string_view action) {
  static constexpr auto kActions = std::to_array<std::string_view>({
      "s3:GetObject",
      "s3:GetObjectVersion",
      "s3:GetObjectAcl",
      "s3:GetObjectVersionAcl",
      "s3:GetObjectTagging",
      "s3:GetObjectVersionTagging",
      "s3:GetObjectAttributes",
      "s3:GetObjectVersionAttributes",
      "s3:GetObjectRetention",
      "s3:GetObjectLegalHold",
      "s3:PutObjectTagging",
      "s3:PutObjectVersionTagging",
      "s3:DeleteObjectTagging",
      "s3:DeleteObjectVersionTagging",
      "s3:PutObjectAcl",
      "s3:PutObjectVersionAcl",
      "s3:PutObjectRetention",
      "s3:PutObjectLegalHold",
  });
  for (std::string_view a : kActions) {
    if (a == action) return true;
  }
  return false;
}

void AddRequestKeys(const AuthzRequest& r, iam::RequestContext& ctx) {
  ctx.action = r.action;
  ctx.resource = r.resource;
  ctx.keys["aws:sourceip"] = {std::string(PeerHost(r.remote_address))};
  ctx.keys["aws:securetransport"] = {r.secure ? "true" : "false"};
  ctx.keys["aws:currenttime"] = {IsoNow()};
  ctx.keys["aws:epochtime"] = {std::to_string(std::time(nullptr))};
  ctx.keys["aws:principaltype"] = {r.auth.anonymous                ? "Anonymous"
                                   : !r.auth.session_token.empty() ? "AssumedRole"
                                                                   : "User"};
  if (!r.auth.anonymous) {
    ctx.keys["s3:signatureversion"] = {r.auth.sigv2 ? "AWS" : "AWS4-HMAC-SHA256"};
  }
  if (r.auth.method != auth::AuthMethod::kNone) {  // an anonymous POST form has one too
    ctx.keys["s3:authtype"] = {std::string(AuthTypeName(r.auth.method))};
  }
  for (const http::QueryParam& p : r.query) {
    if (p.name == "prefix" || p.name == "delimiter" || p.name == "max-keys") {
      ctx.keys["s3:" + std::string(p.name)] = {std::string(p.value)};
    }
  }
  if (std::string_view tls = r.tls_protocol; tls.starts_with("TLSv")) {
    ctx.keys["s3:tlsversion"] = {std::string(tls.substr(4))};  // "1.3", compared as a number
  }
  if (!r.version_id.empty()) ctx.keys["s3:versionid"] = {std::string(r.version_id)};
  if (r.http != nullptr) AddHeaderKeys(r, ctx);
  if (r.body_keys != nullptr) {
    for (const auto& [name, values] : *r.body_keys) ctx.keys[name] = values;
  }
}

AuthzRequest S3AuthzRequest(const auth::AuthContext& auth, http::Exchange& ex,
                            std::span<const http::QueryParam> query, std::string_view action,
                            std::string_view bucket, std::string_view key) {
  const http::QueryParam* version = http::FindParam(query, "versionId");
  return {.auth = auth,
          .action = action,
          .resource = S3Arn(bucket, key),
          .bucket = bucket,
          .query = query,
          .remote_address = ex.remote_address(),
          .secure = ex.secure(),
          .tls_protocol = ex.tls_protocol(),
          .http = &ex.request(),
          .arena = &ex.arena(),
          .key = key,
          .version_id = version != nullptr ? version->value : std::string_view()};
}

}  // namespace flashstor::s3
