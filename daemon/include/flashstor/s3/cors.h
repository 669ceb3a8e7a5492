// Bucket CORS configuration as S3 defines it: the rules, their validation (PutBucketCors), the
// canonical <CORSConfiguration> document stored and returned (GetBucketCors), and AWS's rule
// matching for preflight and ordinary requests. Pure functions.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "flashstor/s3/error_table.h"

namespace flashstor::s3 {

inline constexpr size_t kMaxCorsRules = 100;
inline constexpr size_t kMaxCorsBodyBytes = 64u << 10;  // AWS's cap on the document
inline constexpr size_t kMaxCorsRuleIdLength = 255;
inline constexpr int64_t kMaxCorsMaxAgeSeconds = INT32_MAX;

struct CorsRule {
  std::string id;
  std::vector<std::string> allowed_origins;  // each with at most one '*'
  std::vector<std::string> allowed_methods;  // GET PUT POST DELETE HEAD
  std::vector<std::string> allowed_headers;  // each with at most one '*'; matched ignoring case
  std::vector<std::string> expose_headers;
  int64_t max_age_seconds = -1;  // -1: not set
};

struct CorsConfig {
  std::vector<CorsRule> rules;
};

// <CORSConfiguration> with 1..100 <CORSRule>s, each with at least one AllowedOrigin and
// AllowedMethod. MalformedXML for the wrong shape; InvalidRequest for an unsupported method,
// a second wildcard, a wildcard in ExposeHeader, too many rules or a bad MaxAgeSeconds.
ApiError ParseCorsXml(std::string_view xml, CorsConfig& out);
// The canonical document (also the GetBucketCors answer).
std::string CorsXml(const CorsConfig& config);

// pattern with at most one '*' matching any run of characters (case-insensitively when asked).
bool CorsWildcardMatch(std::string_view pattern, std::string_view text, bool ignore_case);

// The first rule that allows origin + method and every header of request_headers (the
// Access-Control-Request-Headers items of a preflight; empty for ordinary requests);
// nullptr when none does.
const CorsRule* MatchCorsRule(const CorsConfig& config, std::string_view origin,
                              std::string_view method,
                              std::span<const std::string_view> request_headers);

// Splits "a, b,c" into trimmed, non-empty items (at most max_items; false when more).
bool SplitHeaderList(std::string_view list, size_t max_items, std::vector<std::string_view>& out);

}  // namespace flashstor::s3
