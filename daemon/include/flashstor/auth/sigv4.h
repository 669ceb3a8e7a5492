// AWS Signature Version 4 verification for S3: Authorization header, presigned query,
// streaming (aws-chunked) seed and chunk signatures, trailer signatures. Every comparison of
// secrets or signatures uses CRYPTO_memcmp; signing keys are cached per date/region/service.
#pragma once

#include <array>
#include <cstdint>
#include <ctime>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "flashstor/auth/credentials.h"
#include "flashstor/common/status.h"
#include "flashstor/http/body.h"
#include "flashstor/http/request.h"
#include "flashstor/http/uri.h"

namespace flashstor::auth {

enum class PayloadKind : uint8_t {
  kUnsigned,                  // UNSIGNED-PAYLOAD, presigned URLs, anonymous
  kSha256,                    // x-amz-content-sha256 is a hex digest of the body
  kStreamingSigned,           // STREAMING-AWS4-HMAC-SHA256-PAYLOAD
  kStreamingSignedTrailer,    // STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER
  kStreamingUnsignedTrailer,  // STREAMING-UNSIGNED-PAYLOAD-TRAILER
};

// How a request was authenticated (the s3:authType condition key).
enum class AuthMethod : uint8_t {
  kNone,      // anonymous
  kHeader,    // Authorization header: REST-HEADER
  kQuery,     // presigned URL: REST-QUERY-STRING
  kPostForm,  // browser POST form (PostObject): POST
};

struct AuthContext {
  bool anonymous = true;
  bool sigv2 = false;  // Signature Version 2 (s3:signatureversion "AWS")
  AuthMethod method = AuthMethod::kNone;
  std::string access_key;
  bool is_root = false;
  // STS sessions: the verified session token (never logged); empty for long-term keys.
  std::string session_token;
  PayloadKind payload = PayloadKind::kUnsigned;
  std::string payload_sha256_hex;  // kSha256: expected digest of the body (lowercase hex)
  // Streaming: chaining state for chunk signatures.
  std::string seed_signature;
  std::string amz_date;  // yyyymmddThhmmssZ
  std::string scope;     // yyyymmdd/region/s3/aws4_request
  std::array<unsigned char, 32> signing_key{};
};

// What a refusal carries beyond its Status (whose message is static text).
struct AuthFailure {
  // kAuthorizationHeaderMalformed came from presign query parameters, not the Authorization
  // header (S3 then answers AuthorizationQueryParametersError, as AWS does).
  bool in_query = false;
  // kAccessDenied for unsigned headers: the names the signature leaves uncovered, lowercase,
  // joined with ", " (AWS's <HeadersNotSigned> element). Empty otherwise.
  std::string headers_not_signed;
};

struct VerifyOptions {
  std::string region = "us-east-1";
  int64_t max_skew_seconds = 15 * 60;
  int64_t max_presign_seconds = 7 * 24 * 3600;
  bool allow_sigv2 = true;  // Signature Version 2 (header, presigned URL, POST form)
  std::string domain;       // virtual-host domain: SigV2 signs "/<bucket>" for "<bucket>.<domain>"
};

// The signature fields of a browser POST form (PostObject), views into the form.
struct PostFormSignature {
  std::string_view policy_b64;  // "policy": the signed string
  // SigV4: x-amz-algorithm, x-amz-credential, x-amz-date, x-amz-signature.
  std::string_view algorithm;
  std::string_view credential;
  std::string_view amz_date;
  std::string_view signature;
  // SigV2: AWSAccessKeyId and signature (base64 HMAC-SHA1).
  std::string_view access_key_id;
  std::string_view v2_signature;
  std::string_view security_token;  // x-amz-security-token
};

class SigV4Verifier {
 public:
  SigV4Verifier(const CredentialProvider& credentials, VerifyOptions options);
  ~SigV4Verifier();

  // Verifies a request signed in the Authorization header or by presigned query parameters.
  // A request carrying neither yields AuthContext{anonymous=true}. Host and every x-amz-*
  // header must be signed (presigned URLs may leave x-amz-content-sha256 unsigned; its value
  // is then the payload hash). Errors: kAccessDenied (presign expired: "Request has expired";
  // not yet valid; bad date; bad session token; unsigned headers: "There were headers present
  // in the request which were not signed", with their names in failure->headers_not_signed),
  // kSignatureMismatch, kInvalidAccessKeyId, kRequestTimeTooSkewed,
  // kAuthorizationHeaderMalformed (malformed Authorization header or presign parameters, missing
  // presign parameters, wrong region or service, bad X-Amz-Expires; failure->in_query tells
  // the presign case apart), kInvalidRequest (bad x-amz-content-sha256 value, SigV2, both
  // mechanisms). kExpiredToken is reserved for expired STS session tokens.
  // A header-signed request without x-amz-content-sha256 is treated as signing the empty
  // payload hash (as MinIO does): payload kSha256 with the empty-body digest.
  // Thread-safe. `now` is seconds since the epoch. VerifyOptions::region empty = any region.
  // `failure`, when not null, receives the detail of a refusal (left untouched on success).
  // read_body_sha256: hex SHA-256 of a body the caller read before verifying (the IAM API's
  // form body); it stands for a missing x-amz-content-sha256 header.
  // SigV2 (sigv2.h: "AWS key:signature" header, AWSAccessKeyId/Expires/Signature query) is
  // verified when VerifyOptions::allow_sigv2, else refused with kInvalidRequest.
  Result<AuthContext> verify(const http::Request& request, std::span<const http::QueryParam> query,
                             std::time_t now, AuthFailure* failure = nullptr,
                             std::string_view read_body_sha256 = {}) const;

  // Verifies the signature of a POST form over its base64 policy (SigV4 fields, or the V2 pair
  // when V2 is allowed); the policy's own expiration and conditions are the caller's job.
  // Success: AuthContext with method kPostForm. Errors: kInvalidArgument (missing or malformed
  // fields, V2 when turned off), kInvalidAccessKeyId, kSignatureMismatch, kAccessDenied (bad
  // session token), kAuthorizationHeaderMalformed (credential scope).
  Result<AuthContext> verify_post_form(const PostFormSignature& form) const;

  // Observer that checks each aws-chunked chunk signature (chained from the seed) and the
  // trailer signature, and records trailers (e.g. x-amz-checksum-crc32) for later checks.
  // For kStreamingUnsignedTrailer it only collects trailers. nullptr for non-streaming payload
  // kinds. Not thread-safe (one per request body); errors are final (later calls repeat them).
  static std::unique_ptr<class ChunkVerifier> MakeChunkVerifier(const AuthContext& ctx);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

class ChunkVerifier : public http::AwsChunkObserver {
 public:
  // Trailer value by lowercase name ("x-amz-checksum-crc32"), empty if absent.
  virtual std::string_view trailer(std::string_view name) const = 0;
};

// Helpers exposed for tests and the load generator (which signs requests).
std::string HexSha256(std::span<const char> data);
std::array<unsigned char, 32> DeriveSigningKey(std::string_view secret, std::string_view date,
                                               std::string_view region, std::string_view service);

}  // namespace flashstor::auth
