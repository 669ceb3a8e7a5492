// SigV4Verifier: authenticates a request signed in the Authorization header or by presigned
// query parameters (AWS S3 SigV4), and produces the AuthContext the s3 layer runs with.
#include "flashstor/auth/sigv4.h"

#include <cstdlib>
#include <optional>
#include <string>

#include <openssl/crypto.h>

#include "amz_date.h"
#include "canonical_request.h"
#include "credential_lookup.h"
#include "post_form_signature.h"
#include "signature_params.h"
#include "signing.h"
#include "signing_key_cache.h"
#include "sigv2.h"
#include "unsigned_headers.h"

// FS_RETURN_IF_ERROR for functions returning Result<T>.
#define FS_AUTH_RETURN_IF_ERROR(expr)                     \
  do {                                                    \
    ::flashstor::Status fs_auth_status_ = (expr);         \
    if (!fs_auth_status_.ok()) {                          \
      return std::unexpected(std::move(fs_auth_status_)); \
    }                                                     \
  } while (0)

namespace flashstor::auth {
namespace {

constexpr std::string_view kBadContentSha256 =
    "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, "
    "STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER or a valid "
    "sha256 value.";

// Classifies an x-amz-content-sha256 value and records it in ctx.
Status ClassifyPayload(std::string_view v, bool presigned, AuthContext& ctx) {
  if (IsSha256Hex(v)) {
    ctx.payload = PayloadKind::kSha256;
    ctx.payload_sha256_hex.assign(v);
    for (char& c : ctx.payload_sha256_hex) {
      if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
    }
    return Status::Ok();
  }
  if (v == kUnsignedPayload) {
    ctx.payload = PayloadKind::kUnsigned;
    return Status::Ok();
  }
  // Streaming needs a seed signature from the Authorization header; presigned URLs have none.
  if (!presigned) {
    if (v == "STREAMING-AWS4-HMAC-SHA256-PAYLOAD") {
      ctx.payload = PayloadKind::kStreamingSigned;
      return Status::Ok();
    }
    if (v == "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER") {
      ctx.payload = PayloadKind::kStreamingSignedTrailer;
      return Status::Ok();
    }
    if (v == "STREAMING-UNSIGNED-PAYLOAD-TRAILER") {
      ctx.payload = PayloadKind::kStreamingUnsignedTrailer;
      return Status::Ok();
    }
  }
  return Status(Code::kInvalidRequest, kBadContentSha256);
}

// Request time from x-amz-date, else from Date; fills ctx.amz_date.
Result<std::time_t> HeaderRequestTime(const http::Request& request, AuthContext& ctx) {
  if (const http::Header* amz = request.find_header("x-amz-date")) {
    auto t = ParseAmzDate(amz->value);
    if (!t) {
      return Err(Code::kAccessDenied,
                 "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"");
    }
    ctx.amz_date.assign(amz->value);
    return *t;
  }
  if (const http::Header* date = request.find_header("date")) {
    if (auto t = ParseHttpDate(date->value)) {
      auto formatted = FormatAmzDate(*t);
      ctx.amz_date.assign(formatted.data(), formatted.size());
      return *t;
    }
  }
  return Err(Code::kAccessDenied, "AWS authentication requires a valid Date or x-amz-date header");
}

// Host and every x-amz-* header must be signed; names the others in failure.
Status CheckAllSigned(const http::Request& request, std::string_view signed_headers, bool presigned,
                      AuthFailure* failure) {
  return CheckHeadersSigned(request, signed_headers, presigned,
                            failure != nullptr ? &failure->headers_not_signed : nullptr);
}

}  // namespace

struct SigV4Verifier::Impl {
  Impl(const CredentialProvider& c, VerifyOptions o) : credentials(c), options(std::move(o)) {}

  const CredentialProvider& credentials;
  VerifyOptions options;
  mutable SigningKeyCache cache;

  Status CheckScope(const SignatureParams& p) const;
  Result<AuthContext> VerifyHeader(const http::Request& request,
                                   std::span<const http::QueryParam> query,
                                   std::string_view authorization, std::time_t now,
                                   AuthFailure* failure, std::string_view read_body_sha256) const;
  Result<AuthContext> VerifyPresigned(const http::Request& request,
                                      std::span<const http::QueryParam> query, std::time_t now,
                                      AuthFailure* failure) const;
  // Looks up the key, checks the token and the signature; fills the rest of ctx.
  Status Authenticate(const http::Request& request, std::span<const http::QueryParam> query,
                      const SignatureParams& p, bool presigned, std::string_view token,
                      std::string_view payload_hash, std::time_t now, AuthContext& ctx) const;
};

Status SigV4Verifier::Impl::CheckScope(const SignatureParams& p) const {
  FS_RETURN_IF_ERROR(CheckSignedHeaders(p.signed_headers));
  // An empty configured region accepts any region (single-site deployments behind clients
  // that pick arbitrary regions); otherwise it must match, as AWS requires.
  // IAM is a global service: clients sign it for us-east-1 whatever the endpoint's region.
  const bool global_iam = (p.credential.service == "iam" || p.credential.service == "sts") &&
                          p.credential.region == "us-east-1";
  if (!options.region.empty() && p.credential.region != options.region && !global_iam) {
    return Status(Code::kAuthorizationHeaderMalformed,
                  "the region in the Credential is wrong for this endpoint");
  }
  return Status::Ok();
}

Status SigV4Verifier::Impl::Authenticate(const http::Request& request,
                                         std::span<const http::QueryParam> query,
                                         const SignatureParams& p, bool presigned,
                                         std::string_view token, std::string_view payload_hash,
                                         std::time_t now, AuthContext& ctx) const {
  Result<Credential> cred = LookUpCredential(credentials, p.credential.access_key, token, now);
  if (!cred) return cred.error();
  thread_local std::string canonical;
  thread_local std::string string_to_sign;
  FS_RETURN_IF_ERROR(
      BuildCanonicalRequest(request, query, presigned, p.signed_headers, payload_hash, canonical));
  BuildStringToSign(ctx.amz_date, p.credential.scope, canonical, string_to_sign);
  SigningKeyCache::Signed sig =
      cache.sign(cred->access_key, cred->secret_key, p.credential.date, p.credential.region,
                 p.credential.service, string_to_sign);
  ctx.signing_key = sig.key;
  HexDigest expected = ToHex(sig.mac);
  OPENSSL_cleanse(sig.key.data(), sig.key.size());
  if (!SignatureEquals(expected, p.signature)) {
    ctx.signing_key.fill(0);
    return Status(Code::kSignatureMismatch,
                  "The request signature we calculated does not match the signature you "
                  "provided. Check your key and signing method.");
  }
  ctx.anonymous = false;
  ctx.access_key = std::move(cred->access_key);
  ctx.is_root = cred->is_root;
  ctx.session_token = std::move(cred->session_token);
  ctx.seed_signature.assign(View(expected));
  ctx.scope.assign(p.credential.scope);
  return Status::Ok();
}

Result<AuthContext> SigV4Verifier::Impl::VerifyHeader(const http::Request& request,
                                                      std::span<const http::QueryParam> query,
                                                      std::string_view authorization,
                                                      std::time_t now, AuthFailure* failure,
                                                      std::string_view read_body_sha256) const {
  auto params = ParseAuthorizationHeader(authorization);
  if (!params) return std::unexpected(params.error());
  FS_AUTH_RETURN_IF_ERROR(CheckScope(*params));
  AuthContext ctx;
  auto when = HeaderRequestTime(request, ctx);
  if (!when) return std::unexpected(when.error());
  if (!ctx.amz_date.starts_with(params->credential.date)) {
    return Err(Code::kAuthorizationHeaderMalformed,
               "Invalid credential date. Date is not the same as X-Amz-Date.");
  }
  if (std::llabs(static_cast<long long>(now) - static_cast<long long>(*when)) >
      options.max_skew_seconds) {
    return Err(Code::kRequestTimeTooSkewed,
               "The difference between the request time and the server's time is too large.");
  }
  // Missing x-amz-content-sha256 (AWS requires it) is treated as MinIO does: the payload hash
  // of an empty body. The signature then only verifies if the client signed that hash, and the
  // body is held to it. A body the caller already read (the IAM API's form) is hashed instead:
  // clients of AWS's other services sign its hash without sending the header.
  std::string_view payload_hash = read_body_sha256.empty() ? kEmptySha256Hex : read_body_sha256;
  if (const http::Header* sha = request.find_header("x-amz-content-sha256")) {
    payload_hash = sha->value;
  }
  FS_AUTH_RETURN_IF_ERROR(ClassifyPayload(payload_hash, false, ctx));
  FS_AUTH_RETURN_IF_ERROR(CheckAllSigned(request, params->signed_headers, false, failure));
  std::string_view token;
  if (const http::Header* t = request.find_header("x-amz-security-token")) token = t->value;
  FS_AUTH_RETURN_IF_ERROR(
      Authenticate(request, query, *params, false, token, payload_hash, now, ctx));
  return ctx;
}

Result<AuthContext> SigV4Verifier::Impl::VerifyPresigned(const http::Request& request,
                                                         std::span<const http::QueryParam> query,
                                                         std::time_t now,
                                                         AuthFailure* failure) const {
  auto params = ParsePresignQuery(query, options.max_presign_seconds);
  if (!params) return std::unexpected(params.error());
  FS_AUTH_RETURN_IF_ERROR(CheckScope(*params));
  auto when = ParseAmzDate(params->amz_date);
  if (!when) {
    return Err(Code::kAuthorizationHeaderMalformed,
               "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"");
  }
  if (!params->amz_date.starts_with(params->credential.date)) {
    return Err(Code::kAuthorizationHeaderMalformed,
               "Invalid credential date. Date is not the same as X-Amz-Date.");
  }
  if (static_cast<long long>(*when) - static_cast<long long>(now) > options.max_skew_seconds) {
    return Err(Code::kAccessDenied, "Request is not valid yet");
  }
  if (static_cast<long long>(now) - static_cast<long long>(*when) > params->expires) {
    return Err(Code::kAccessDenied, "Request has expired");
  }
  AuthContext ctx;
  ctx.amz_date.assign(params->amz_date);
  // The payload hash: the X-Amz-Content-Sha256 parameter, else an x-amz-content-sha256 header
  // (which may be unsigned, as on AWS: a value the signer did not use fails the signature),
  // else UNSIGNED-PAYLOAD.
  std::string_view payload_hash = params->content_sha256;
  if (payload_hash.empty()) {
    if (const http::Header* sha = request.find_header("x-amz-content-sha256")) {
      payload_hash = sha->value;
    }
  }
  if (payload_hash.empty()) payload_hash = kUnsignedPayload;
  FS_AUTH_RETURN_IF_ERROR(ClassifyPayload(payload_hash, true, ctx));
  FS_AUTH_RETURN_IF_ERROR(CheckAllSigned(request, params->signed_headers, true, failure));
  FS_AUTH_RETURN_IF_ERROR(
      Authenticate(request, query, *params, true, params->security_token, payload_hash, now, ctx));
  return ctx;
}

SigV4Verifier::SigV4Verifier(const CredentialProvider& credentials, VerifyOptions options)
    : impl_(std::make_unique<Impl>(credentials, std::move(options))) {}

SigV4Verifier::~SigV4Verifier() = default;

Result<AuthContext> SigV4Verifier::verify(const http::Request& request,
                                          std::span<const http::QueryParam> query, std::time_t now,
                                          AuthFailure* failure,
                                          std::string_view read_body_sha256) const {
  const http::Header* authorization = request.find_header("authorization");
  bool presigned = IsPresigned(query);
  const bool v2_header = authorization != nullptr && IsSigV2Header(authorization->value);
  if (v2_header || (authorization == nullptr && !presigned && IsSigV2Query(query))) {
    if (!impl_->options.allow_sigv2) return Err(Code::kInvalidRequest, kSigV2NotSupported);
    return VerifySigV2(impl_->credentials, impl_->options, request, query, now, failure);
  }
  if (authorization != nullptr && presigned) {
    return Err(Code::kInvalidRequest,
               "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter or "
               "the Authorization header should be specified");
  }
  if (presigned) {
    Result<AuthContext> ctx = impl_->VerifyPresigned(request, query, now, failure);
    if (!ctx && failure != nullptr && ctx.error().code() == Code::kAuthorizationHeaderMalformed) {
      failure->in_query = true;
    }
    if (ctx) ctx->method = AuthMethod::kQuery;
    return ctx;
  }
  if (authorization != nullptr) {
    Result<AuthContext> ctx =
        impl_->VerifyHeader(request, query, authorization->value, now, failure, read_body_sha256);
    if (ctx) ctx->method = AuthMethod::kHeader;
    return ctx;
  }
  return AuthContext{};
}

Result<AuthContext> SigV4Verifier::verify_post_form(const PostFormSignature& form) const {
  return VerifyPostFormSignature(impl_->credentials, impl_->options, form);
}

}  // namespace flashstor::auth
