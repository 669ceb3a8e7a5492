// The SigV4 canonical request for S3 (method, URI, query, headers, signed headers, payload
// hash) and the string to sign built from it.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "flashstor/common/status.h"
#include "flashstor/http/request.h"
#include "flashstor/http/uri.h"

namespace flashstor::auth {

// S3 canonical URI: the raw path split at '/', each segment percent-decoded and re-encoded
// once with UriEncode (so "%2F" inside a segment stays "%2F"). Empty path -> "/".
void AppendCanonicalUri(std::string_view raw_path, std::string& out);

// Canonical query: every parameter UriEncode'd (name and value), sorted by encoded name then
// value, joined "a=1&b=". skip_signature drops X-Amz-Signature (presigned URLs).
void AppendCanonicalQuery(std::span<const http::QueryParam> query, bool skip_signature,
                          std::string& out);

// Header value as SigV4 canonicalises it: trimmed, runs of spaces/tabs collapsed to one space.
void AppendCanonicalValue(std::string_view value, std::string& out);

// "name:value\n" for each name in signed_headers (already checked by CheckSignedHeaders),
// values of repeated headers joined with ','. Error kSignatureMismatch when a signed header is
// absent (Host, Content-Length and Expect fall back to what the parser derived).
Status AppendCanonicalHeaders(const http::Request& request, std::string_view signed_headers,
                              std::string& out);

// The whole canonical request into out (cleared first).
Status BuildCanonicalRequest(const http::Request& request, std::span<const http::QueryParam> query,
                             bool presigned, std::string_view signed_headers,
                             std::string_view payload_hash, std::string& out);

// "AWS4-HMAC-SHA256\n" amz_date "\n" scope "\n" hex(sha256(canonical_request)) into out.
void BuildStringToSign(std::string_view amz_date, std::string_view scope,
                       std::string_view canonical_request, std::string& out);

}  // namespace flashstor::auth
