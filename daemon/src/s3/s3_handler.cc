// S3Handler: trace id, admin paths, resource + query parsing, SigV4, body wrapping
// (aws-chunked decoding, trailer capture, byte counting), route dispatch, error documents and
// the per-request summary.
#include "flashstor/s3/s3_handler.h"

#include <array>
#include <atomic>
#include <chrono>
#include <ctime>
#include <memory>
#include <optional>

#include "authorizer.h"
#include "flashstor/obs/log.h"
#include "flashstor/s3/headers.h"
#include "flashstor/s3/refused_inputs.h"
#include "flashstor/s3/router.h"
#include "flashstor/s3/xml_reader.h"
#include "iam_api.h"
#include "op_actions.h"
#include "op_context.h"
#include "post_object.h"
#include "public_access_block.h"
#include "sse_bucket.h"

namespace flashstor::s3 {
namespace {

// Counts the raw entity bytes the request body delivered (for the summary).
class CountingSource final : public DataSource {
 public:
  explicit CountingSource(DataSource& inner) : inner_(inner) {}
  Result<size_t> read(std::span<char> out) override {
    Result<size_t> n = inner_.read(out);
    if (n) count_ += *n;
    return n;
  }
  uint64_t count() const { return count_; }

 private:
  DataSource& inner_;
  uint64_t count_ = 0;
};

// Copies one trailer (e.g. x-amz-checksum-crc32) out of the chunk verifier when the
// aws-chunked stream ends, so HashingSource can check it through late_checksum_b64.
class TrailerCapture final : public DataSource {
 public:
  TrailerCapture(DataSource& inner, const auth::ChunkVerifier& verifier, std::string name)
      : inner_(inner), verifier_(verifier), name_(std::move(name)) {}
  Result<size_t> read(std::span<char> out) override {
    Result<size_t> n = inner_.read(out);
    if (n && *n == 0) value_ = std::string(verifier_.trailer(name_));
    return n;
  }
  const std::string* value() const { return &value_; }

 private:
  DataSource& inner_;
  const auth::ChunkVerifier& verifier_;
  std::string name_;
  std::string value_;
};

constexpr std::array<OpHandler, static_cast<size_t>(OpId::kCount)> MakeDispatch() {
  std::array<OpHandler, static_cast<size_t>(OpId::kCount)> t{};
  auto set = [&t](OpId op, OpHandler h) { t[static_cast<size_t>(op)] = h; };
  set(OpId::kListBuckets, ListBuckets);
  set(OpId::kCreateBucket, CreateBucket);
  set(OpId::kHeadBucket, HeadBucket);
  set(OpId::kDeleteBucket, DeleteBucket);
  set(OpId::kGetBucketLocation, GetBucketLocation);
  set(OpId::kGetBucketVersioning, GetBucketVersioning);
  set(OpId::kPutBucketVersioning, PutBucketVersioning);
  set(OpId::kGetBucketAcl, GetBucketAcl);
  set(OpId::kPutBucketAcl, PutBucketAcl);
  set(OpId::kGetBucketPolicy, GetBucketPolicy);
  set(OpId::kPutBucketPolicy, PutBucketPolicy);
  set(OpId::kDeleteBucketPolicy, DeleteBucketPolicy);
  set(OpId::kGetBucketPolicyStatus, GetBucketPolicyStatus);
  set(OpId::kGetBucketCors, GetBucketCors);
  set(OpId::kPutBucketCors, PutBucketCors);
  set(OpId::kDeleteBucketCors, DeleteBucketCors);
  set(OpId::kGetBucketTagging, GetBucketTagging);
  set(OpId::kPutBucketTagging, PutBucketTagging);
  set(OpId::kDeleteBucketTagging, DeleteBucketTagging);
  set(OpId::kGetBucketLifecycle, GetBucketLifecycle);
  set(OpId::kPutBucketLifecycle, PutBucketLifecycle);
  set(OpId::kDeleteBucketLifecycle, DeleteBucketLifecycle);
  set(OpId::kGetBucketEncryption, GetBucketEncryption);
  set(OpId::kPutBucketEncryption, PutBucketEncryption);
  set(OpId::kDeleteBucketEncryption, DeleteBucketEncryption);
  set(OpId::kGetObjectLockConfiguration, GetObjectLockConfiguration);
  set(OpId::kPutObjectLockConfiguration, PutObjectLockConfiguration);
  set(OpId::kGetObjectRetention, GetObjectRetention);
  set(OpId::kPutObjectRetention, PutObjectRetention);
  set(OpId::kGetObjectLegalHold, GetObjectLegalHold);
  set(OpId::kPutObjectLegalHold, PutObjectLegalHold);
  set(OpId::kGetBucketWebsite, NotConfiguredOp<ErrorId::kNoSuchWebsiteConfiguration>);
  set(OpId::kGetBucketReplication, NotConfiguredOp<ErrorId::kNoReplicationConfiguration>);
  set(OpId::kGetBucketOwnershipControls, GetBucketOwnershipControls);
  set(OpId::kPutBucketOwnershipControls, PutBucketOwnershipControls);
  set(OpId::kDeleteBucketOwnershipControls, DeleteBucketOwnershipControls);
  set(OpId::kGetPublicAccessBlock, GetPublicAccessBlock);
  set(OpId::kPutPublicAccessBlock, PutPublicAccessBlock);
  set(OpId::kDeletePublicAccessBlock, DeletePublicAccessBlock);
  set(OpId::kGetBucketLogging, DefaultConfigOp<LoggingOffXml>);
  set(OpId::kGetBucketNotification, GetBucketNotification);
  set(OpId::kPutBucketNotification, PutBucketNotification);
  set(OpId::kGetBucketAccelerate, DefaultConfigOp<AccelerateOffXml>);
  set(OpId::kGetBucketRequestPayment, DefaultConfigOp<OwnerPaysXml>);
  set(OpId::kGetObjectTagging, GetObjectTagging);
  set(OpId::kPutObjectTagging, PutObjectTagging);
  set(OpId::kDeleteObjectTagging, DeleteObjectTagging);
  set(OpId::kListObjectsV1, ListObjectsV1);
  set(OpId::kListObjectsV2, ListObjectsV2);
  set(OpId::kListObjectVersions, ListObjectVersions);
  set(OpId::kListMultipartUploads, ListMultipartUploads);
  set(OpId::kDeleteObjects, DeleteObjects);
  set(OpId::kPutObject, PutObject);
  set(OpId::kCopyObject, CopyObject);
  set(OpId::kGetObject, GetObject);
  set(OpId::kHeadObject, GetObject);
  set(OpId::kDeleteObject, DeleteObject);
  set(OpId::kGetObjectAcl, GetObjectAcl);
  set(OpId::kPutObjectAcl, PutObjectAcl);
  set(OpId::kCreateMultipartUpload, CreateMultipartUpload);
  set(OpId::kUploadPart, UploadPart);
  set(OpId::kUploadPartCopy, UploadPartCopy);
  set(OpId::kCompleteMultipartUpload, CompleteMultipartUpload);
  set(OpId::kAbortMultipartUpload, AbortMultipartUpload);
  set(OpId::kListParts, ListParts);
  set(OpId::kGetObjectAttributes, GetObjectAttributes);
  return t;
}
constexpr auto kDispatch = MakeDispatch();

uint64_t MonotonicNs() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000u + static_cast<uint64_t>(ts.tv_nsec);
}

bool IsStreaming(auth::PayloadKind p) {
  return p == auth::PayloadKind::kStreamingSigned ||
         p == auth::PayloadKind::kStreamingSignedTrailer ||
         p == auth::PayloadKind::kStreamingUnsignedTrailer;
}

// Everything one request owns on the worker's stack.
struct RequestState {
  std::array<char, 16> trace{};
  std::string_view trace_id;
  std::string_view op_name = "Unknown";
  Resource res;
  std::span<const http::QueryParam> query;
  auth::AuthContext auth;
  auth::AuthFailure auth_failure;  // detail of a refused signature, for the error document
  std::optional<CountingSource> counter;
  std::unique_ptr<auth::ChunkVerifier> chunk_verifier;
  std::optional<http::AwsChunkedBody> chunked;
  std::optional<TrailerCapture> trailer;
  DataSource* body = nullptr;
  int64_t body_length = -1;
  hash::Expectations expect;
  std::optional<AuthzDenial> denial;   // set when authentication or authorisation refused
  object::RequestContext request_ctx;  // every object layer call's (SetRequestDeadline)
};

// The server's deadline for the request: from its head's arrival, the operation allowance
// plus the time the client may take to move its body at the transfer budget's rate
// (S3Config::min_bytes_per_s), so a client keeping that rate never meets it and storage
// always gets its allowance on top. A body of unknown length counts as the largest object
// a single request may send (kMaxSinglePutSize: 5 GiB, a day at 64 KiB/s). Responses streamed after
// the call (GET) extend it by their bytes (RequestContext::deadline_after); the steps after a
// body's block or whole body was read are held to the allowance from then
// (RequestContext::step_deadline). No allowance
// configured, or no rate to scale it with: no deadline.
void SetRequestDeadline(RequestState& st, const http::Exchange& ex, const S3Config& config) {
  object::RequestContext& ctx = st.request_ctx;
  ctx.min_bytes_per_s = config.min_bytes_per_s;
  if (config.operation_timeout_ms <= 0 || config.min_bytes_per_s == 0) {
    ctx.deadline = object::RequestContext::Clock::time_point::max();
    return;
  }
  const uint64_t body =
      st.body_length >= 0 ? static_cast<uint64_t>(st.body_length) : kMaxSinglePutSize;
  const auto start = object::RequestContext::Clock::time_point(
      std::chrono::nanoseconds(static_cast<int64_t>(ex.request_start_ns())));
  object::RequestContext at_start;
  at_start.min_bytes_per_s = config.min_bytes_per_s;
  at_start.deadline = start + std::chrono::milliseconds(config.operation_timeout_ms);
  ctx.deadline = at_start.deadline_after(body);
  // Once a body's bytes are in hand, the steps that store them get only the allowance.
  ctx.step_allowance = std::chrono::milliseconds(config.operation_timeout_ms);
}

// Layers the body decoders the payload kind asks for; sets state.body and body_length.
ApiError WrapBody(http::Exchange& ex, RequestState& st) {
  const http::Request& req = ex.request();
  st.counter.emplace(ex.body());
  st.body = &*st.counter;
  if (req.content_length) st.body_length = static_cast<int64_t>(*req.content_length);
  if (st.auth.payload == auth::PayloadKind::kSha256) {
    st.expect.sha256_hex = st.auth.payload_sha256_hex;
  }
  if (!IsStreaming(st.auth.payload)) return {};
  std::optional<int64_t> decoded =
      ParseDecimal(req.header("x-amz-decoded-content-length"), INT64_MAX);
  if (!decoded) return Code::kMissingContentLength;
  st.chunk_verifier = auth::SigV4Verifier::MakeChunkVerifier(st.auth);
  if (st.chunk_verifier == nullptr) return Code::kInternal;
  st.chunked.emplace(*st.body, *st.chunk_verifier, static_cast<uint64_t>(*decoded));
  st.body = &*st.chunked;
  st.body_length = *decoded;
  std::string trailer = Lower(req.header("x-amz-trailer"));
  if (!trailer.empty()) {
    std::string_view name = trailer;
    if (!name.starts_with("x-amz-checksum-")) return Code::kInvalidRequest;
    std::optional<hash::ChecksumAlgo> algo = hash::ParseChecksumAlgo(name.substr(15));
    if (!algo) return ApiError(Code::kInvalidRequest, "The value of x-amz-trailer is invalid.");
    st.trailer.emplace(*st.body, *st.chunk_verifier, trailer);
    st.body = &*st.trailer;
    st.expect.checksum_algo = *algo;
    st.expect.late_checksum_b64 = st.trailer->value();
  }
  return {};
}

// Operations that authorise themselves (AuthorizeInOperation), because the decision needs
// what only they know: DeleteObjects each key, the Put*s their body's condition keys.
bool AuthorizedInOperation(OpId op) {
  return op == OpId::kDeleteObjects || op == OpId::kPutObjectTagging ||
         op == OpId::kPutObjectRetention || op == OpId::kPutObjectLegalHold;
}

// POST / with a form body and without x-amz-content-sha256: an IAM query API call.
bool IsPreReadForm(const http::Request& req, const Resource& res) {
  return req.method == http::Method::kPost && res.kind == ResourceKind::kService &&
         !req.has_header("x-amz-content-sha256") &&
         Lower(req.header("content-type")).starts_with("application/x-www-form-urlencoded");
}

// The one STS action that comes unsigned: its form names Action=AssumeRoleWithWebIdentity.
bool IsWebIdentityCall(std::string_view form, mem::Arena& arena) {
  auto params = http::ParseQuery(form, arena, 256);
  if (!params) return false;
  const http::QueryParam* action = http::FindParam(*params, "Action");
  return action != nullptr && action->value == "AssumeRoleWithWebIdentity";
}

// A refused signature as S3 reports it: presign query faults are their own error code.
ApiError AuthError(const Status& status, const auth::AuthFailure& failure) {
  if (failure.in_query && status.code() == Code::kAuthorizationHeaderMalformed) {
    return ApiError(ErrorId::kAuthorizationQueryParametersError, status.message());
  }
  return status;
}

ApiError Run(http::Exchange& ex, RequestState& st, object::ObjectLayer& layer,
             const auth::SigV4Verifier& verifier, const S3Config& config, Authorizer* authorizer,
             IamApi* iam_api) {
  const http::Request& req = ex.request();
  Result<std::span<const http::QueryParam>> query = http::ParseQuery(req.query, ex.arena());
  if (!query) return ApiError(Code::kInvalidArgument, "The query string is malformed.");
  st.query = *query;
  FS_S3_RETURN_IF_ERROR(ParseResource(req.path, req.host, config.domain, ex.arena(), st.res));
  // Browsers send CORS preflights without credentials: answered from the bucket's rules.
  if (req.method == http::Method::kOptions) {
    st.op_name = "PreflightCors";
    return AnswerCorsPreflight(ex, st.res.bucket, layer, st.request_ctx);
  }
  RouteMatch route = Route(req.method, st.res.kind, st.query, req.has_header("x-amz-copy-source"));
  st.op_name = route.name;
  // A browser form upload: the credentials are in the form (post_object.h).
  if (IsPostObject(req, st.res, st.query)) {
    st.op_name = "PostObject";
    st.counter.emplace(ex.body());
    if (req.content_length) st.body_length = static_cast<int64_t>(*req.content_length);
    SetRequestDeadline(st, ex, config);
    AddCorsHeaders(ex, st.res.bucket, layer, st.request_ctx);
    PostObjectRequest post{ex,       st.res,     layer,       st.request_ctx, config,
                           verifier, authorizer, *st.counter, st.trace_id,    st.auth};
    return PostObject(post);
  }

  // An IAM query API call: its clients sign the form body's hash without sending it in
  // x-amz-content-sha256, so the (bounded) body is read before verifying.
  std::string form;
  std::string form_sha256;
  const bool form_read = iam_api != nullptr && IsPreReadForm(req, st.res);
  if (form_read) {
    st.counter.emplace(ex.body());
    FS_S3_RETURN_IF_ERROR(ReadBoundedBody(*st.counter, kMaxIamRequestBytes, form));
    form_sha256 = auth::HexSha256(form);
  }
  const std::string action =
      S3Action(route.name, http::FindParam(st.query, "versionId") != nullptr);
  // Records what refused the request for the audit log, and refuses it.
  auto deny = [&](ApiError err, std::string principal, std::string decided_by) {
    st.denial = AuthzDenial{std::move(principal), action, S3Arn(st.res.bucket, st.res.key),
                            std::move(decided_by)};
    return err;
  };
  Result<auth::AuthContext> auth =
      verifier.verify(req, st.query, std::time(nullptr), &st.auth_failure, form_sha256);
  if (!auth) {
    ApiError err = AuthError(auth.error(), st.auth_failure);
    return deny(err, "anonymous", "authentication: " + std::string(err.info().code));
  }
  st.auth = std::move(*auth);
  const std::string_view service = st.auth.anonymous ? "" : ScopeService(st.auth.scope);
  // STS (signed for service "sts", or the unsigned AssumeRoleWithWebIdentity form).
  const bool web_identity = form_read && st.auth.anonymous && IsWebIdentityCall(form, ex.arena());
  if (iam_api != nullptr && (service == "sts" || web_identity)) {
    if (req.method != http::Method::kPost || st.res.kind != ResourceKind::kService) {
      return ApiError(Code::kAuthorizationHeaderMalformed,
                      "incorrect service in the Credential; this resource belongs to \"s3\"");
    }
    if (!form_read) {
      FS_S3_RETURN_IF_ERROR(WrapBody(ex, st));
      hash::HashingSource body(*st.body, st.expect);
      FS_S3_RETURN_IF_ERROR(ReadBoundedBody(body, kMaxIamRequestBytes, form));
    }
    return iam_api->sts().serve(ex, st.auth, form, st.trace_id, st.op_name);
  }
  const bool iam_service = service == "iam";
  if (iam_service) {
    // The IAM query API: POST / with a form body, signed for service "iam".
    if (iam_api == nullptr || req.method != http::Method::kPost ||
        st.res.kind != ResourceKind::kService) {
      return ApiError(Code::kAuthorizationHeaderMalformed,
                      "incorrect service in the Credential; this resource belongs to \"s3\"");
    }
    if (!form_read) {
      FS_S3_RETURN_IF_ERROR(WrapBody(ex, st));
      hash::HashingSource body(*st.body, st.expect);
      FS_S3_RETURN_IF_ERROR(ReadBoundedBody(body, kMaxIamRequestBytes, form));
    }
    return iam_api->serve(ex, st.auth, form, st.trace_id, st.op_name, st.denial);
  }
  if (authorizer == nullptr) {
    // No IAM: every operation needs a signature.
    if (st.auth.anonymous) return deny(Code::kAccessDenied, "anonymous", "implicit deny");
  }
  if (form_read) {  // a form POST to / that is not an IAM call
    if (st.auth.anonymous) return deny(Code::kAccessDenied, "anonymous", "implicit deny");
    return Code::kNotImplemented;
  }
  if (!route.error.ok()) {
    if (st.auth.anonymous) return deny(Code::kAccessDenied, "anonymous", "implicit deny");
    return route.error;
  }
  std::string principal = st.auth.anonymous ? "anonymous" : st.auth.access_key;
  const OpId op = route.entry->op;
  // An operation that decides after reading its body reads nothing for an anonymous caller
  // that no bucket policy could admit (only a bucket policy grants anonymous access).
  if (authorizer != nullptr && AuthorizedInOperation(op) && st.auth.anonymous &&
      authorizer->bucket_policy(st.res.bucket) == nullptr) {
    return deny(Code::kAccessDenied, "anonymous", "implicit deny");
  }
  if (authorizer != nullptr && !AuthorizedInOperation(op)) {
    AuthzRequest authz = S3AuthzRequest(st.auth, ex, st.query, action, st.res.bucket, st.res.key);
    authz.object_ctx = &st.request_ctx;
    AuthzVerdict verdict = authorizer->decide(authz);
    if (!verdict.allowed) {
      return deny(Code::kAccessDenied, std::move(verdict.principal), std::move(verdict.deciding));
    }
    principal = std::move(verdict.principal);
  }
  // The key id or the role session's ARN: never a secret or a session token.
  if (!st.auth.anonymous) st.request_ctx.principal = principal;
  if (ApiError blocked = CheckPublicAclWrite(req, st.res.bucket, layer, st.request_ctx);
      !blocked.ok()) {
    return deny(blocked, std::move(principal), "bucket:public-access-block:BlockPublicAcls");
  }
  // Removing or shortening GOVERNANCE retention needs its own permission (AWS); DeleteObjects
  // asks it for each key.
  if (authorizer != nullptr && BypassGovernance(req) && op != OpId::kDeleteObjects) {
    FS_S3_RETURN_IF_ERROR(authorizer->authorize(S3AuthzRequest(
        st.auth, ex, st.query, "s3:BypassGovernanceRetention", st.res.bucket, st.res.key)));
  }
  FS_S3_RETURN_IF_ERROR(CheckRefusedInputs(route.entry->op, req, st.query, config.owner_id));
  FS_S3_RETURN_IF_ERROR(WrapBody(ex, st));
  SetRequestDeadline(st, ex, config);  // the body's length is known now
  AddCorsHeaders(ex, st.res.bucket, layer, st.request_ctx);

  OpContext ctx{
      ex,        req,      st.query,       st.res,    st.auth,     layer,      st.request_ctx,
      config,    *st.body, st.body_length, st.expect, st.trace_id, authorizer, action,
      &st.denial};
  return kDispatch[static_cast<size_t>(route.entry->op)](ctx);
}

void SendError(http::Exchange& ex, const RequestState& st, const ApiError& err,
               const S3Config& config) {
  http::ResponseWriter& resp = ex.response();
  const ErrorInfo& info = err.info();
  if (info.http_status >= 500 && info.http_status != 501) {
    obs::Log(obs::Level::kError, "s3 request failed",
             {{"TRACE_ID", st.trace_id},
              {"S3_OPERATION", st.op_name},
              {"S3_ERROR", info.code},
              {"DETAIL", err.detail()}});
  }
  if (resp.head_sent()) {
    // Failed mid-body: the client sees a short response; never reuse the connection.
    resp.set_keep_alive(false);
    return;
  }
  resp.set_status(info.http_status);
  if (info.http_status == 304) {
    (void)resp.send({});
    return;
  }
  resp.add_header("Content-Type", "application/xml");
  ErrorContext ectx{.resource = ex.request().path,
                    .bucket = st.res.bucket,
                    .key = st.res.key,
                    .request_id = st.trace_id,
                    .host_id = config.host_id,
                    .headers_not_signed = st.auth_failure.headers_not_signed};
  (void)resp.send(ErrorXml(err, ectx));
}

}  // namespace

S3Handler::S3Handler(object::ObjectLayer& layer, const auth::SigV4Verifier& verifier,
                     S3Config config)
    : layer_(layer), verifier_(verifier), config_(std::move(config)) {}

S3Handler::~S3Handler() = default;

void S3Handler::set_iam(iam::IamStore* store, int64_t sts_min_duration_seconds,
                        std::shared_ptr<const iam::JwtVerifier> web_identity) {
  iam_api_.reset();
  authorizer_.reset();
  if (store == nullptr) return;
  authorizer_ = std::make_unique<Authorizer>(layer_, *store);
  iam_api_ = std::make_unique<IamApi>(*store, *authorizer_);
  iam_api_->set_sts(StsConfig{sts_min_duration_seconds, std::move(web_identity)});
}

bool S3Handler::IsAdminPath(std::string_view path) {
  return path == "/metrics" || path == "/health/live" || path == "/health/ready" ||
         path.starts_with("/flashstor/admin/");
}

std::array<char, 16> S3Handler::NewTraceId() {
  // A per-thread counter mixed with the thread's start time and a per-thread serial;
  // splitmix64 scrambles it so ids do not look sequential. No syscalls, no locks.
  static std::atomic<uint64_t> thread_serial{0};
  thread_local uint64_t base =
      static_cast<uint64_t>(std::chrono::system_clock::now().time_since_epoch().count()) ^
      (thread_serial.fetch_add(1, std::memory_order_relaxed) << 48);
  thread_local uint64_t counter = 0;
  uint64_t z = base + 0x9E3779B97F4A7C15ull * ++counter;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  z ^= z >> 31;
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::array<char, 16> out;
  for (int i = 15; i >= 0; --i, z >>= 4) out[static_cast<size_t>(i)] = kHex[z & 0xF];
  return out;
}

void S3Handler::serve(http::Exchange& ex) {
  RequestState st;
  st.trace = NewTraceId();
  st.trace_id = std::string_view(st.trace.data(), st.trace.size());
  st.request_ctx.trace_id = st.trace_id;
  if (const task::CancelToken* cancel = ex.cancel_token()) st.request_ctx.cancel = *cancel;
  const http::Request& req = ex.request();
  if (req.content_length) st.body_length = static_cast<int64_t>(*req.content_length);
  SetRequestDeadline(st, ex, config_);
  http::ResponseWriter& resp = ex.response();
  resp.add_header("x-amz-request-id", st.trace_id);
  resp.add_header("x-amz-id-2", config_.host_id);
  if (req.method == http::Method::kHead) resp.set_head_only(true);

  ApiError err;
  if (admin_ != nullptr && IsAdminPath(req.path)) {
    st.op_name = "Admin";
    admin_->serve(ex);
  } else {
    err = Run(ex, st, layer_, verifier_, config_, authorizer_.get(), iam_api_.get());
  }
  if (st.request_ctx.cancelled() && !resp.head_sent()) {
    // The client went away while the request waited: no answer goes out (nobody reads it),
    // and the audit record and metrics say 499, client closed, whatever the call returned.
    err = ApiError(Code::kCancelled);
    resp.set_status(err.info().http_status);
    resp.set_keep_alive(false);
  } else if (!err.ok()) {
    SendError(ex, st, err, config_);
  }

  if (observer_ == nullptr) return;
  RequestSummary s;
  s.trace_id = st.trace_id;
  s.operation = st.op_name;
  s.bucket = st.res.bucket;
  s.key = st.res.key;
  s.http_status = resp.status();
  if (!err.ok()) s.error_code = err.info().code;
  s.bytes_in = st.counter ? st.counter->count() : 0;
  s.bytes_out = resp.body_bytes_sent();
  if (!st.auth.anonymous) s.access_key = st.auth.access_key;
  s.remote_address = ex.remote_address();
  s.user_agent = req.header("user-agent");
  uint64_t now = MonotonicNs();
  s.duration_ns = now > ex.request_start_ns() ? now - ex.request_start_ns() : 0;
  if (st.denial) {
    s.denied = true;
    s.principal = st.denial->principal;
    s.action = st.denial->action;
    s.resource = st.denial->resource;
    s.decided_by = st.denial->decided_by;
  }
  observer_->on_request(s);
}

}  // namespace flashstor::s3
