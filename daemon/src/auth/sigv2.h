// AWS Signature Version 2 (HMAC-SHA1, "Signing and authenticating REST requests"): the
// Authorization "AWS key:signature" header, the AWSAccessKeyId/Expires/Signature presigned
// query, and the V2 signature of a browser POST policy. Private to flashstor_auth.
#pragma once

#include <ctime>
#include <span>
#include <string>
#include <string_view>

#include "flashstor/auth/credentials.h"
#include "flashstor/auth/sigv4.h"
#include "flashstor/common/status.h"
#include "flashstor/http/request.h"
#include "flashstor/http/uri.h"

namespace flashstor::auth {

inline constexpr std::string_view kSigV2NotSupported =
    "The authorization mechanism you have provided is not supported. Please use "
    "AWS4-HMAC-SHA256.";

// "AWS <key>:<signature>" (not "AWS4-HMAC-SHA256 ...").
bool IsSigV2Header(std::string_view authorization);
// The query carries AWSAccessKeyId or Signature (a V2 presigned URL).
bool IsSigV2Query(std::span<const http::QueryParam> query);

// The V2 string to sign: Verb \n Content-MD5 \n Content-Type \n date_line \n
// CanonicalizedAmzHeaders CanonicalizedResource. date_line is the Date header, empty when
// x-amz-date is sent, or Expires for presigned URLs. domain: the virtual-host domain (the
// bucket of "<bucket>.<domain>" enters the resource as "/<bucket>"). bucket_slash appends
// '/' to the path (see IsPathStyleBucketOnly). A presigned URL's x-amz-* query parameters
// (x-amz-security-token) count as headers, as botocore and AWS sign them.
void BuildSigV2StringToSign(const http::Request& request, std::span<const http::QueryParam> query,
                            std::string_view date_line, std::string_view domain, bool bucket_slash,
                            std::string& out);

// A path-style request for a bucket alone ("/bucket", no key, no trailing slash).
bool IsPathStyleBucketOnly(const http::Request& request, std::string_view domain);

// Base64(HMAC-SHA1(secret, data)) (28 characters).
std::string SigV2Signature(std::string_view secret, std::string_view data);

// Constant-time comparison of two base64 signatures (false when the lengths differ).
bool SigV2SignatureEquals(std::string_view expected, std::string_view provided);

// Verifies a V2 header or presigned request (the caller checked IsSigV2Header/IsSigV2Query and
// that V2 is enabled). On success: anonymous=false, sigv2=true, method kHeader or kQuery,
// payload kUnsigned (or kSha256 when a hex x-amz-content-sha256 header was signed).
// Errors: kAccessDenied (expired URL, missing date, bad session token), kRequestTimeTooSkewed,
// kSignatureMismatch, kInvalidAccessKeyId, kInvalidArgument (malformed header),
// kAuthorizationHeaderMalformed with failure->in_query (malformed or too distant Expires).
Result<AuthContext> VerifySigV2(const CredentialProvider& credentials, const VerifyOptions& options,
                                const http::Request& request,
                                std::span<const http::QueryParam> query, std::time_t now,
                                AuthFailure* failure);

}  // namespace flashstor::auth
