// The parts of a SigV4 signature as a client sends them, parsed from the Authorization header
// or from presigned query parameters. Views point into the request; nothing is allocated.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "flashstor/common/status.h"
#include "flashstor/http/uri.h"

namespace flashstor::auth {

// Most headers a client may sign; more is malformed (bounds the canonical request work).
inline constexpr size_t kMaxSignedHeaders = 64;

// "AK/20130524/us-east-1/s3/aws4_request"
struct CredentialScope {
  std::string_view access_key;
  std::string_view date;  // yyyymmdd
  std::string_view region;
  std::string_view service;  // "s3", or "iam" for the IAM query API
  std::string_view scope;    // "date/region/service/aws4_request" (for the string to sign)
};

struct SignatureParams {
  CredentialScope credential;
  std::string_view signed_headers;  // "host;range;x-amz-date" verbatim
  std::string_view signature;       // 64 lowercase hex digits
  // Presigned only.
  std::string_view amz_date;
  int64_t expires = 0;
  std::string_view security_token;
  std::string_view content_sha256;  // X-Amz-Content-Sha256 query parameter, may be empty
};

// Parses "access/date/region/service/aws4_request". The access key is everything before the
// last four components. Errors: kAuthorizationHeaderMalformed (with AWS's wording).
Result<CredentialScope> ParseCredential(std::string_view credential);

// Parses "AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=..." tolerating
// whitespace around separators and any order of the three components.
// Errors: kInvalidRequest for another signature version, else kAuthorizationHeaderMalformed.
Result<SignatureParams> ParseAuthorizationHeader(std::string_view header);

// Parses the X-Amz-* presign parameters; max_expires bounds X-Amz-Expires.
// Errors: kAuthorizationHeaderMalformed (missing or invalid parameters, X-Amz-Expires with
// AWS's messages; S3 reports them as AuthorizationQueryParametersError).
Result<SignatureParams> ParsePresignQuery(std::span<const http::QueryParam> query,
                                          int64_t max_expires);

// Checks a SignedHeaders list: non-empty lowercase names separated by ';', no duplicates,
// at most kMaxSignedHeaders. Whether it covers host and the x-amz-* headers is
// CheckHeadersSigned's job (unsigned_headers.h).
Status CheckSignedHeaders(std::string_view signed_headers);

// True when the query carries SigV4 presign parameters.
bool IsPresigned(std::span<const http::QueryParam> query);

}  // namespace flashstor::auth
