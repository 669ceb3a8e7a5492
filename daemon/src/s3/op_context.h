// OpContext: what every S3 operation handler receives (request, resource, auth, wrapped body,
// object layer), the handler signature, and the small response helpers they share.
#pragma once

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "flashstor/auth/sigv4.h"
#include "flashstor/hash/hashing_source.h"
#include "flashstor/http/exchange.h"
#include "flashstor/http/uri.h"
#include "flashstor/iam/policy.h"
#include "flashstor/object/object_layer.h"
#include "flashstor/s3/error_table.h"
#include "flashstor/s3/resource.h"
#include "flashstor/s3/s3_handler.h"
#include "flashstor/s3/xml_writer.h"

namespace flashstor::s3 {

class Authorizer;
struct AuthzDenial;

struct OpContext {
  http::Exchange& ex;
  const http::Request& req;
  std::span<const http::QueryParam> query;
  Resource res;
  const auth::AuthContext& auth;
  object::ObjectLayer& layer;
  // The context of every object layer call (deadline, trace id, principal). Mutable: an
  // operation that learns how much it will move (a copy's source size) extends the deadline.
  object::RequestContext& request_ctx;
  const S3Config& config;
  DataSource& body;          // entity bytes: aws-chunked decoded, trailers captured
  int64_t body_length = -1;  // decoded length; -1 when unknown (chunked without length)
  // What every consumer of the body must verify: x-amz-content-sha256 and, for
  // aws-chunked uploads with x-amz-trailer, the trailing checksum.
  hash::Expectations base_expect;
  std::string_view trace_id;
  // Authorisation the operation does itself (AuthorizeInOperation, and SSE-KMS's
  // kms:GenerateDataKey / kms:Decrypt): nullptr without IAM (every signed caller is root).
  Authorizer* authorizer = nullptr;
  std::string_view action{};                     // the route's action ("s3:DeleteObject")
  std::optional<AuthzDenial>* denial = nullptr;  // the first refusal, for the audit log

  std::string_view header(std::string_view name) const { return req.header(name); }
  const http::QueryParam* param(std::string_view name) const {
    return http::FindParam(query, name);
  }
  std::string_view param_value(std::string_view name) const {
    const http::QueryParam* p = param(name);
    return p != nullptr ? p->value : std::string_view();
  }
  Owner owner() const { return {config.owner_id, config.owner_display_name}; }
  http::ResponseWriter& response() { return ex.response(); }
};

using OpHandler = ApiError (*)(OpContext&);

// One authorisation an operation makes itself, because it needs what only the operation
// knows: each key of DeleteObjects, the source of a copy, the tags of a PutObjectTagging
// body, the lock of a PutObjectRetention / PutObjectLegalHold body (op_authorize.cc).
struct OpAuthz {
  std::string_view action{};  // "s3:GetObject"
  std::string_view bucket{};
  std::string_view key{};
  std::string_view version_id{};
  const iam::RequestContext::keys_type* body_keys = nullptr;  // keys found in the body
};
// Ok, or kAccessDenied (the first refusal recorded in *ctx.denial); Ok without IAM.
ApiError AuthorizeInOperation(OpContext& ctx, const OpAuthz& what);
// The route's own action on the request's bucket and key, with keys found in the body.
ApiError AuthorizeRouteInOperation(OpContext& ctx, const iam::RequestContext::keys_type* body_keys);

// Fails with kEntityTooLarge once more than `max` bytes came through (bodies without a
// Content-Length must not grow past the object size limit before anything commits).
class LimitedSource final : public DataSource {
 public:
  LimitedSource(DataSource& inner, uint64_t max) : inner_(inner), max_(max) {}
  Result<size_t> read(std::span<char> out) override {
    Result<size_t> n = inner_.read(out);
    if (n && (seen_ += *n) > max_) return Err(Code::kEntityTooLarge);
    return n;
  }

 private:
  DataSource& inner_;
  uint64_t max_;
  uint64_t seen_ = 0;
};

// Response helpers: status + Content-Type: application/xml + body in one send.
ApiError SendXml(OpContext& ctx, int status, std::string_view xml);
ApiError SendEmpty(OpContext& ctx, int status);
// Body checks of PutObject/UploadPart: Content-MD5, x-amz-checksum-*, x-amz-sdk-checksum-
// algorithm, on top of ctx.base_expect. Errors: kInvalidDigest, kInvalidRequest.
ApiError BuildPutExpectations(const OpContext& ctx, hash::Expectations& out);
// Adds x-amz-checksum-<algo> to the response when algo is set.
void AddChecksumHeader(OpContext& ctx, hash::ChecksumAlgo algo, std::string_view b64);
// Parses x-amz-copy-source ("[/]bucket/key[?versionId=null]", percent-encoded), opens the
// source and checks x-amz-copy-source-if-* against it (kPreconditionFailed).
ApiError OpenCopySource(OpContext& ctx, std::unique_ptr<object::ObjectReader>& out);

// Versioning (versioning_ops.cc). VersioningConfigured: the bucket's versioning was ever
// enabled (its answers carry version ids). AddVersionIdHeader: x-amz-version-id, when the
// id is not empty. DeleteMarkerAnswer: the error for a GET/HEAD that found no object
// (`missing`): when the version it names (or the current one) is a delete marker, AWS's
// answer with x-amz-delete-marker (404 NoSuchKey, or 405 by version id).
bool VersioningConfigured(OpContext& ctx);
void AddVersionIdHeader(OpContext& ctx, std::string_view version_id);
ApiError DeleteMarkerAnswer(OpContext& ctx, Status missing, std::string_view version_id);

// Operations, one family per file.
ApiError ListBuckets(OpContext& ctx);
ApiError CreateBucket(OpContext& ctx);
ApiError HeadBucket(OpContext& ctx);
ApiError DeleteBucket(OpContext& ctx);
ApiError GetBucketLocation(OpContext& ctx);
ApiError GetBucketVersioning(OpContext& ctx);
ApiError PutBucketVersioning(OpContext& ctx);
// ACLs and object ownership (acl_ops.cc): BucketOwnerEnforced, owner FULL_CONTROL only.
ApiError GetBucketAcl(OpContext& ctx);
ApiError PutBucketAcl(OpContext& ctx);
ApiError GetBucketOwnershipControls(OpContext& ctx);
ApiError PutBucketOwnershipControls(OpContext& ctx);
ApiError DeleteBucketOwnershipControls(OpContext& ctx);

// Tagging (tagging_ops.cc). ReadTaggingHeader: x-amz-tagging into tags (untouched when the
// header is absent); InvalidTag / BadRequest / InvalidArgument.
ApiError ReadTaggingHeader(OpContext& ctx, object::Metadata& tags);
ApiError GetObjectTagging(OpContext& ctx);
ApiError PutObjectTagging(OpContext& ctx);
ApiError DeleteObjectTagging(OpContext& ctx);
ApiError GetBucketTagging(OpContext& ctx);
ApiError PutBucketTagging(OpContext& ctx);
ApiError DeleteBucketTagging(OpContext& ctx);

// CORS (cors_ops.cc). AnswerCorsPreflight: the OPTIONS request of a browser, before
// authentication (200 with the grant, or the error to send). AddCorsHeaders: the grant of
// the bucket's rules for an ordinary request with an Origin header (nothing without one).
ApiError GetBucketCors(OpContext& ctx);
ApiError PutBucketCors(OpContext& ctx);
ApiError DeleteBucketCors(OpContext& ctx);
ApiError AnswerCorsPreflight(http::Exchange& ex, std::string_view bucket,
                             object::ObjectLayer& layer, const object::RequestContext& rctx);
void AddCorsHeaders(http::Exchange& ex, std::string_view bucket, object::ObjectLayer& layer,
                    const object::RequestContext& rctx);
// Object Lock (object_lock_ops.cc). NewVersionLock: the lock of a version a write creates
// (x-amz-object-lock-* headers, else the bucket's default retention; InvalidRequest on a
// bucket without object lock; digest_required: PutObject's rule that lock headers need
// Content-MD5 or a checksum). AddObjectLockHeaders: GET/HEAD's x-amz-object-lock-*.
// BypassGovernance: x-amz-bypass-governance-retention: true (authorised in s3_handler.cc).
ApiError NewVersionLock(OpContext& ctx, bool digest_required, object::ObjectLock& out);
void AddObjectLockHeaders(OpContext& ctx, const object::ObjectInfo& info);
bool BypassGovernance(const http::Request& req);
ApiError GetObjectLockConfiguration(OpContext& ctx);
ApiError PutObjectLockConfiguration(OpContext& ctx);
ApiError GetObjectRetention(OpContext& ctx);
ApiError PutObjectRetention(OpContext& ctx);
ApiError GetObjectLegalHold(OpContext& ctx);
ApiError PutObjectLegalHold(OpContext& ctx);
// x-amz-expiration when a lifecycle rule of the bucket expires the object (lifecycle_ops.cc).
void AddExpirationHeader(OpContext& ctx, const object::ObjectInfo& info);
ApiError PutBucketLifecycle(OpContext& ctx);
// Event notifications (notification_ops.cc). PublishObjectEvent queues event_name
// ("ObjectCreated:Put") for key with the bucket's matching rules; info (size, ETag) is null
// for removals. Never fails the operation: a full queue drops the event (counted).
ApiError PutBucketNotification(OpContext& ctx);
ApiError GetBucketNotification(OpContext& ctx);
void PublishObjectEvent(OpContext& ctx, std::string_view event_name, std::string_view key,
                        const object::ObjectInfo* info, std::string_view version_id);
ApiError GetBucketLifecycle(OpContext& ctx);
ApiError DeleteBucketLifecycle(OpContext& ctx);

// Bucket features we never configure (probe_ops.cc). NotConfigured: the bucket exists, and
// the answer is AWS's "not configured" 404 for the feature. DefaultConfig: the feature is
// off, and the answer is its configuration document saying so.
ApiError NotConfigured(OpContext& ctx, ErrorId missing);
ApiError DefaultConfig(OpContext& ctx, std::string (*document)());
template <ErrorId kMissing>
ApiError NotConfiguredOp(OpContext& ctx) {
  return NotConfigured(ctx, kMissing);
}
template <std::string (*kDocument)()>
ApiError DefaultConfigOp(OpContext& ctx) {
  return DefaultConfig(ctx, kDocument);
}
ApiError ListObjectsV1(OpContext& ctx);
// Bucket policies (bucket_policy_ops.cc).
ApiError GetBucketPolicy(OpContext& ctx);
ApiError PutBucketPolicy(OpContext& ctx);
ApiError DeleteBucketPolicy(OpContext& ctx);
ApiError GetBucketPolicyStatus(OpContext& ctx);
// Block Public Access (public_access_block_ops.cc).
ApiError GetPublicAccessBlock(OpContext& ctx);
ApiError PutPublicAccessBlock(OpContext& ctx);
ApiError DeletePublicAccessBlock(OpContext& ctx);
ApiError ListObjectsV2(OpContext& ctx);
ApiError ListObjectVersions(OpContext& ctx);
ApiError ListMultipartUploads(OpContext& ctx);
ApiError DeleteObjects(OpContext& ctx);
ApiError PutObject(OpContext& ctx);
ApiError CopyObject(OpContext& ctx);
ApiError GetObject(OpContext& ctx);  // GET and HEAD
ApiError GetObjectAttributes(OpContext& ctx);
ApiError DeleteObject(OpContext& ctx);
ApiError GetObjectAcl(OpContext& ctx);
ApiError PutObjectAcl(OpContext& ctx);
ApiError CreateMultipartUpload(OpContext& ctx);
ApiError UploadPart(OpContext& ctx);
ApiError UploadPartCopy(OpContext& ctx);
ApiError CompleteMultipartUpload(OpContext& ctx);
ApiError AbortMultipartUpload(OpContext& ctx);
ApiError ListParts(OpContext& ctx);

}  // namespace flashstor::s3
