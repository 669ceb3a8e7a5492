// Parsing of the Authorization header and presign query parameters into SignatureParams,
// with AWS's tolerance (whitespace, component order) and AWS's error wording.
#include "signature_params.h"

#include <array>

#include "flashstor/http/ascii.h"
#include "signing.h"

namespace flashstor::auth {
namespace {

constexpr std::string_view kMalformedCredential =
    "the Credential is mal-formed; expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\"";
constexpr std::string_view kMissingQueryParams =
    "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, "
    "X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.";

using http::ascii::TrimWhitespace;

bool AllDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// Splits s at the last '/'; returns false when there is none.
bool SplitLast(std::string_view& s, std::string_view& tail) {
  size_t slash = s.rfind('/');
  if (slash == std::string_view::npos) return false;
  tail = s.substr(slash + 1);
  s = s.substr(0, slash);
  return true;
}

// Parses X-Amz-Expires: 1..max_expires seconds.
Result<int64_t> ParseExpires(std::string_view exp, int64_t max_expires) {
  if (!exp.empty() && exp.front() == '-' && AllDigits(exp.substr(1))) {
    return Err(Code::kAuthorizationHeaderMalformed, "X-Amz-Expires must be non-negative");
  }
  if (!AllDigits(exp)) {
    return Err(Code::kAuthorizationHeaderMalformed, "X-Amz-Expires should be a number");
  }
  if (exp.size() > 18) {  // cannot overflow below; far beyond any bound anyway
    return Err(Code::kAuthorizationHeaderMalformed,
               "X-Amz-Expires must be less than a week (in seconds) that is 604800");
  }
  int64_t seconds = 0;
  for (char c : exp) {
    seconds = seconds * 10 + (c - '0');
    if (seconds > max_expires) {
      return Err(Code::kAuthorizationHeaderMalformed,
                 "X-Amz-Expires must be less than a week (in seconds) that is 604800");
    }
  }
  if (seconds < 1) {
    return Err(Code::kAuthorizationHeaderMalformed, "X-Amz-Expires must be at least 1 second");
  }
  return seconds;
}

}  // namespace

Result<CredentialScope> ParseCredential(std::string_view credential) {
  CredentialScope out;
  std::string_view rest = credential;
  std::string_view terminator;
  if (!SplitLast(rest, terminator) || !SplitLast(rest, out.service) ||
      !SplitLast(rest, out.region) || !SplitLast(rest, out.date)) {
    return Err(Code::kAuthorizationHeaderMalformed, kMalformedCredential);
  }
  out.access_key = rest;
  if (terminator != "aws4_request") {
    return Err(Code::kAuthorizationHeaderMalformed,
               "the Credential is mal-formed; the terminal component must be aws4_request");
  }
  if (out.access_key.empty() || out.region.empty() || out.date.size() != 8 ||
      !AllDigits(out.date)) {
    return Err(Code::kAuthorizationHeaderMalformed, kMalformedCredential);
  }
  // "iam" and "sts": the IAM and STS query APIs served on this endpoint (S3Handler routes them).
  if (out.service != "s3" && out.service != "iam" && out.service != "sts") {
    return Err(Code::kAuthorizationHeaderMalformed,
               "incorrect service in the Credential; this endpoint belongs to \"s3\"");
  }
  out.scope = credential.substr(out.access_key.size() + 1);
  return out;
}

Result<SignatureParams> ParseAuthorizationHeader(std::string_view header) {
  header = TrimWhitespace(header);
  if (!header.starts_with(kAlgorithm)) {
    if (header.starts_with("AWS ")) {
      return Err(Code::kInvalidRequest,
                 "The authorization mechanism you have provided is not supported. Please use "
                 "AWS4-HMAC-SHA256.");
    }
    return Err(Code::kAuthorizationHeaderMalformed, "the authorization header is malformed");
  }
  std::string_view rest = header.substr(kAlgorithm.size());
  if (rest.empty() || (rest.front() != ' ' && rest.front() != '\t')) {
    return Err(Code::kAuthorizationHeaderMalformed, "the authorization header is malformed");
  }
  SignatureParams out;
  std::string_view credential;
  std::array<bool, 3> seen{};
  while (!rest.empty()) {
    size_t comma = rest.find(',');
    std::string_view part = TrimWhitespace(rest.substr(0, comma));
    rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
    if (part.empty()) continue;  // tolerate ", ," and a trailing comma
    size_t eq = part.find('=');
    if (eq == std::string_view::npos) {
      return Err(Code::kAuthorizationHeaderMalformed,
                 "the authorization header is malformed; expected key=value components");
    }
    std::string_view key = TrimWhitespace(part.substr(0, eq));
    std::string_view value = TrimWhitespace(part.substr(eq + 1));
    size_t slot;
    if (key == "Credential") {
      slot = 0, credential = value;
    } else if (key == "SignedHeaders") {
      slot = 1, out.signed_headers = value;
    } else if (key == "Signature") {
      slot = 2, out.signature = value;
    } else {
      return Err(Code::kAuthorizationHeaderMalformed,
                 "the authorization header is malformed; unknown component");
    }
    if (seen[slot]) {
      return Err(Code::kAuthorizationHeaderMalformed,
                 "the authorization header is malformed; duplicate component");
    }
    seen[slot] = true;
  }
  if (!seen[0] || !seen[1] || !seen[2] || out.signature.empty()) {
    return Err(Code::kAuthorizationHeaderMalformed,
               "the authorization header requires Credential, SignedHeaders and Signature");
  }
  auto scope = ParseCredential(credential);
  if (!scope) return std::unexpected(scope.error());
  out.credential = *scope;
  return out;
}

Result<SignatureParams> ParsePresignQuery(std::span<const http::QueryParam> query,
                                          int64_t max_expires) {
  const http::QueryParam* algorithm = http::FindParam(query, "X-Amz-Algorithm");
  const http::QueryParam* credential = http::FindParam(query, "X-Amz-Credential");
  const http::QueryParam* signature = http::FindParam(query, "X-Amz-Signature");
  const http::QueryParam* date = http::FindParam(query, "X-Amz-Date");
  const http::QueryParam* signed_headers = http::FindParam(query, "X-Amz-SignedHeaders");
  const http::QueryParam* expires = http::FindParam(query, "X-Amz-Expires");
  if (algorithm == nullptr || credential == nullptr || signature == nullptr || date == nullptr ||
      signed_headers == nullptr || expires == nullptr) {
    return Err(Code::kAuthorizationHeaderMalformed, kMissingQueryParams);
  }
  if (algorithm->value != kAlgorithm) {
    return Err(Code::kAuthorizationHeaderMalformed,
               "X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\"");
  }
  SignatureParams out;
  auto scope = ParseCredential(credential->value);
  if (!scope) return std::unexpected(scope.error());
  out.credential = *scope;
  out.signed_headers = signed_headers->value;
  out.signature = signature->value;
  out.amz_date = date->value;
  auto seconds = ParseExpires(expires->value, max_expires);
  if (!seconds) return std::unexpected(seconds.error());
  out.expires = *seconds;
  if (const http::QueryParam* token = http::FindParam(query, "X-Amz-Security-Token")) {
    out.security_token = token->value;
  }
  if (const http::QueryParam* sha = http::FindParam(query, "X-Amz-Content-Sha256")) {
    out.content_sha256 = sha->value;
  }
  if (out.signature.empty()) {
    return Err(Code::kAuthorizationHeaderMalformed, kMissingQueryParams);
  }
  return out;
}

Status CheckSignedHeaders(std::string_view signed_headers) {
  std::array<std::string_view, kMaxSignedHeaders> names;
  size_t count = 0;
  std::string_view rest = signed_headers;
  while (true) {
    size_t semi = rest.find(';');
    std::string_view name = rest.substr(0, semi);
    if (name.empty() || count == names.size()) {
      return Status(Code::kAuthorizationHeaderMalformed,
                    "SignedHeaders must be 1 to 64 ';'-separated header names");
    }
    for (char c : name) {
      bool ok =
          (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
      if (!ok) {
        return Status(Code::kAuthorizationHeaderMalformed,
                      "SignedHeaders must be lowercase header names");
      }
    }
    for (size_t i = 0; i < count; ++i) {
      if (names[i] == name) {
        return Status(Code::kAuthorizationHeaderMalformed, "SignedHeaders lists a name twice");
      }
    }
    names[count++] = name;
    if (semi == std::string_view::npos) break;
    rest = rest.substr(semi + 1);
  }
  return Status::Ok();
}

bool IsPresigned(std::span<const http::QueryParam> query) {
  return http::FindParam(query, "X-Amz-Credential") != nullptr ||
         http::FindParam(query, "X-Amz-Algorithm") != nullptr ||
         http::FindParam(query, "X-Amz-Signature") != nullptr;
}

}  // namespace flashstor::auth
