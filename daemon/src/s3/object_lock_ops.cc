// Object Lock operations: Put/GetObjectLockConfiguration (bucket), Put/GetObjectRetention
// and Put/GetObjectLegalHold (one version, changed in place), the lock a new version gets
// from its request's x-amz-object-lock-* headers or the bucket's default retention
// (PutObject, CopyObject, CreateMultipartUpload), and the lock headers of GET and HEAD.
#include <ctime>
#include <string>

#include "authorizer.h"
#include "flashstor/s3/headers.h"
#include "flashstor/s3/object_lock.h"
#include "flashstor/s3/xml_reader.h"
#include "op_context.h"

namespace flashstor::s3 {
namespace {

constexpr std::string_view kNoLockMsg = "Bucket is missing Object Lock Configuration";

int64_t NowNs() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000LL + ts.tv_nsec;
}

// Content-MD5 or a checksum of the body (AWS requires one for object lock requests).
bool HasBodyDigest(const http::Request& req) {
  static constexpr std::string_view kDigests[] = {"content-md5",
                                                  "x-amz-sdk-checksum-algorithm",
                                                  "x-amz-checksum-crc32",
                                                  "x-amz-checksum-crc32c",
                                                  "x-amz-checksum-crc64nvme",
                                                  "x-amz-checksum-sha1",
                                                  "x-amz-checksum-sha256",
                                                  "x-amz-trailer"};
  for (std::string_view name : kDigests) {
    if (req.has_header(name)) return true;
  }
  return false;
}

// The body of a Put*: a digest is required and verified, the size bounded.
ApiError ReadLockBody(OpContext& ctx, std::string& xml) {
  if (!HasBodyDigest(ctx.req)) {
    return ApiError(Code::kInvalidRequest, "Missing required header for this request: Content-MD5");
  }
  hash::Expectations expect;
  FS_S3_RETURN_IF_ERROR(BuildPutExpectations(ctx, expect));
  hash::HashingSource body(ctx.body, std::move(expect));
  return ReadBoundedBody(body, kMaxObjectLockBodyBytes, xml);
}

// The bucket's settings, which must have object lock (InvalidRequest otherwise, as AWS).
ApiError LockedBucket(OpContext& ctx) {
  Result<std::shared_ptr<const object::BucketMetadata>> meta =
      ctx.layer.get_bucket_metadata(ctx.request_ctx, ctx.res.bucket);
  if (!meta) return meta.error();
  if (!(*meta)->object_lock_enabled) return ApiError(Code::kInvalidRequest, kNoLockMsg);
  return {};
}

// The version a Get* names: not a delete marker (405, as AWS).
Result<object::ObjectInfo> NamedVersion(OpContext& ctx) {
  Result<object::ObjectInfo> info =
      ctx.layer.get_object_info(ctx.request_ctx, ctx.res.bucket, ctx.res.key,
                                ctx.param_value("versionId"), /*current_marker_ok=*/false);
  if (!info) return info;
  if (info->delete_marker) return Err(Code::kMethodNotAllowed, "a delete marker");
  return info;
}

// event_name: the notification event of the change ("ObjectRetention:Put").
ApiError UpdateVersion(OpContext& ctx, const object::VersionUpdate& update,
                       std::string_view event_name) {
  Result<object::ObjectInfo> info = ctx.layer.update_version(
      ctx.request_ctx, ctx.res.bucket, ctx.res.key, ctx.param_value("versionId"), update);
  if (!info) return info.error();
  PublishObjectEvent(ctx, event_name, ctx.res.key, &*info, info->version_id);
  AddVersionIdHeader(ctx, info->version_id);
  return SendEmpty(ctx, 200);
}

}  // namespace

bool BypassGovernance(const http::Request& req) {
  return IEquals(req.header("x-amz-bypass-governance-retention"), "true");
}

ApiError NewVersionLock(OpContext& ctx, bool digest_required, object::ObjectLock& out) {
  out = {};
  const int64_t now = NowNs();
  LockHeaders headers;
  FS_S3_RETURN_IF_ERROR(ParseLockHeaders(ctx.req, now, headers));
  Result<std::shared_ptr<const object::BucketMetadata>> meta =
      ctx.layer.get_bucket_metadata(ctx.request_ctx, ctx.res.bucket);
  if (!meta) return meta.error();
  if (!(*meta)->object_lock_enabled) {
    if (headers.any()) return ApiError(Code::kInvalidRequest, kNoLockMsg);
    return {};
  }
  if (headers.any() && digest_required && !HasBodyDigest(ctx.req)) {
    return ApiError(Code::kInvalidRequest,
                    "Content-MD5 OR x-amz-checksum- HTTP header is required for Put Object "
                    "requests with Object Lock parameters");
  }
  out = headers.lock;
  if (headers.retention) return {};
  const std::string* doc = (*meta)->config(object::kConfigObjectLock);
  if (doc == nullptr) return {};
  DefaultRetention rule;
  if (!ParseObjectLockConfiguration(*doc, rule).ok()) {
    return ApiError(Code::kInternal, "the stored object lock configuration is unreadable");
  }
  if (rule.mode != object::RetentionMode::kNone) {
    out.mode = rule.mode;
    out.retain_until_ns = DefaultRetainUntil(rule, now);
  }
  return {};
}

void AddObjectLockHeaders(OpContext& ctx, const object::ObjectInfo& info) {
  http::ResponseWriter& resp = ctx.response();
  if (info.lock.mode != object::RetentionMode::kNone) {
    resp.add_header("x-amz-object-lock-mode", RetentionModeName(info.lock.mode));
    resp.add_header("x-amz-object-lock-retain-until-date",
                    FormatIso8601(info.lock.retain_until_ns));
  }
  if (info.lock.legal_hold) resp.add_header("x-amz-object-lock-legal-hold", "ON");
}

ApiError PutObjectLockConfiguration(OpContext& ctx) {
  std::string xml;
  FS_S3_RETURN_IF_ERROR(ReadLockBody(ctx, xml));
  DefaultRetention rule;
  FS_S3_RETURN_IF_ERROR(ParseObjectLockConfiguration(xml, rule));
  const std::string canonical = ObjectLockConfigurationXml(rule);
  bool unversioned = false;
  Status st = ctx.layer.update_bucket_metadata(
      ctx.request_ctx, ctx.res.bucket, [&](object::BucketMetadata& meta) -> Status {
        // AWS turns object lock on for an existing bucket only when versioning is Enabled;
        // once on, it stays on.
        if (!meta.object_lock_enabled) {
          if (meta.versioning != object::VersioningState::kEnabled) {
            unversioned = true;
            return Status(Code::kInvalidRequest, "versioning not enabled");
          }
          meta.object_lock_enabled = true;
        }
        meta.configs[std::string(object::kConfigObjectLock)] = canonical;
        return Status::Ok();
      });
  if (unversioned) {
    return ApiError(ErrorId::kInvalidBucketState,
                    "Versioning must be 'Enabled' on the bucket to apply a Object Lock "
                    "configuration");
  }
  FS_S3_RETURN_IF_ERROR(st);
  return SendEmpty(ctx, 200);
}

ApiError GetObjectLockConfiguration(OpContext& ctx) {
  Result<std::shared_ptr<const object::BucketMetadata>> meta =
      ctx.layer.get_bucket_metadata(ctx.request_ctx, ctx.res.bucket);
  if (!meta) return meta.error();
  if (!(*meta)->object_lock_enabled) return ErrorId::kNoObjectLockConfiguration;
  const std::string* doc = (*meta)->config(object::kConfigObjectLock);
  return SendXml(ctx, 200, doc != nullptr ? *doc : ObjectLockConfigurationXml({}));
}

ApiError PutObjectRetention(OpContext& ctx) {
  std::string xml;
  FS_S3_RETURN_IF_ERROR(ReadLockBody(ctx, xml));
  object::ObjectLock retention;
  FS_S3_RETURN_IF_ERROR(ParseRetention(xml, NowNs(), retention));
  // Authorised here: policies may read the body's s3:object-lock-mode and dates.
  iam::RequestContext::keys_type body_keys;
  if (retention.mode != object::RetentionMode::kNone) {
    body_keys["s3:object-lock-mode"] = {std::string(RetentionModeName(retention.mode))};
    body_keys["s3:object-lock-retain-until-date"] = {FormatIso8601(retention.retain_until_ns)};
    AddRemainingRetentionDays(retention.retain_until_ns, body_keys);
  }
  FS_S3_RETURN_IF_ERROR(AuthorizeRouteInOperation(ctx, &body_keys));
  FS_S3_RETURN_IF_ERROR(LockedBucket(ctx));
  object::VersionUpdate update;
  update.retention = retention;
  update.bypass_governance = BypassGovernance(ctx.req);
  return UpdateVersion(ctx, update, "ObjectRetention:Put");
}

ApiError GetObjectRetention(OpContext& ctx) {
  FS_S3_RETURN_IF_ERROR(LockedBucket(ctx));
  Result<object::ObjectInfo> info = NamedVersion(ctx);
  if (!info) return info.error();
  if (info->lock.mode == object::RetentionMode::kNone) {
    return ErrorId::kNoSuchObjectLockConfiguration;
  }
  return SendXml(ctx, 200, RetentionXml(info->lock));
}

ApiError PutObjectLegalHold(OpContext& ctx) {
  std::string xml;
  FS_S3_RETURN_IF_ERROR(ReadLockBody(ctx, xml));
  bool on = false;
  FS_S3_RETURN_IF_ERROR(ParseLegalHold(xml, on));
  // Authorised here: policies may read the body's s3:object-lock-legal-hold.
  iam::RequestContext::keys_type body_keys;
  body_keys["s3:object-lock-legal-hold"] = {on ? "ON" : "OFF"};
  FS_S3_RETURN_IF_ERROR(AuthorizeRouteInOperation(ctx, &body_keys));
  FS_S3_RETURN_IF_ERROR(LockedBucket(ctx));
  object::VersionUpdate update;
  update.legal_hold = on;
  return UpdateVersion(ctx, update, "ObjectLegalHold:Put");
}

ApiError GetObjectLegalHold(OpContext& ctx) {
  FS_S3_RETURN_IF_ERROR(LockedBucket(ctx));
  Result<object::ObjectInfo> info = NamedVersion(ctx);
  if (!info) return info.error();
  return SendXml(ctx, 200, LegalHoldXml(info->lock.legal_hold));
}

}  // namespace flashstor::s3
