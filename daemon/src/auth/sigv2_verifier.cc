// SigV2 verification: string to sign (AWS's CanonicalizedAmzHeaders and CanonicalizedResource
// with its sub-resource list), HMAC-SHA1 through OpenSSL, date skew and presign expiry.
#include "sigv2.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <optional>
#include <utility>
#include <vector>

#include "amz_date.h"
#include "credential_lookup.h"
#include "flashstor/http/ascii.h"
#include "signing.h"

namespace flashstor::auth {
namespace {

// The query parameters that enter the canonical resource, as AWS's legacy signing page and
// the clients (botocore's HmacV1Auth, s3cmd) define them. Sorted for binary search.
constexpr auto kSubResources = std::to_array<std::string_view>({
    "accelerate",
    "acl",
    "analytics",
    "cors",
    "defaultObjectAcl",
    "delete",
    "inventory",
    "lifecycle",
    "location",
    "logging",
    "metrics",
    "notification",
    "object-lock",
    "partNumber",
    "policy",
    "replication",
    "requestPayment",
    "response-cache-control",
    "response-content-disposition",
    "response-content-encoding",
    "response-content-language",
    "response-content-type",
    "response-expires",
    "restore",
    "select",
    "select-type",
    "storageClass",
    "tagging",
    "torrent",
    "uploadId",
    "uploads",
    "versionId",
    "versioning",
    "versions",
    "website",
});

bool IsSubResource(std::string_view name) {
  return std::binary_search(kSubResources.begin(), kSubResources.end(), name);
}

char LowerChar(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool IEqualsPrefix(std::string_view s, std::string_view lower_prefix) {
  if (s.size() < lower_prefix.size()) return false;
  for (size_t i = 0; i < lower_prefix.size(); ++i) {
    if (LowerChar(s[i]) != lower_prefix[i]) return false;
  }
  return true;
}

using http::ascii::TrimWhitespace;

std::string_view HeaderValue(const http::Request& request, std::string_view lower) {
  return TrimWhitespace(request.header(lower));
}

// "b.example.com[:port]" under domain "example.com" -> "b"; empty otherwise.
std::string_view VirtualHostBucket(std::string_view host, std::string_view domain) {
  if (domain.empty() || host.empty() || host.front() == '[') return {};
  if (size_t colon = host.rfind(':'); colon != std::string_view::npos) host = host.substr(0, colon);
  if (host.size() <= domain.size() + 1) return {};
  std::string_view tail = host.substr(host.size() - domain.size());
  if (host[host.size() - domain.size() - 1] != '.') return {};
  for (size_t i = 0; i < tail.size(); ++i) {
    if (LowerChar(tail[i]) != LowerChar(domain[i])) return {};
  }
  return host.substr(0, host.size() - domain.size() - 1);
}

// x-amz-* headers: lowercase names, sorted, repeated values joined with ','. A presigned URL
// carries them as query parameters (x-amz-security-token of temporary credentials).
void AppendCanonicalAmzHeaders(const http::Request& request,
                               std::span<const http::QueryParam> presigned_query,
                               std::string& out) {
  thread_local std::vector<std::pair<std::string, std::string_view>> amz;
  amz.clear();
  auto add = [](std::string_view raw_name, std::string_view value) {
    if (!IEqualsPrefix(raw_name, "x-amz-")) return;
    std::string name(raw_name);
    for (char& c : name) c = LowerChar(c);
    amz.emplace_back(std::move(name), TrimWhitespace(value));
  };
  for (const http::Header& h : request.headers) add(h.name, h.value);
  for (const http::QueryParam& p : presigned_query) add(p.name, p.value);
  std::stable_sort(amz.begin(), amz.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  for (size_t i = 0; i < amz.size(); ++i) {
    if (i > 0 && amz[i].first == amz[i - 1].first) {
      out.back() = ',';  // replaces the '\n' of the previous value
    } else {
      out.append(amz[i].first).push_back(':');
    }
    out.append(amz[i].second).push_back('\n');
  }
}

void AppendCanonicalResource(const http::Request& request, std::span<const http::QueryParam> query,
                             std::string_view domain, bool bucket_slash, std::string& out) {
  std::string_view bucket = VirtualHostBucket(request.host, domain);
  if (!bucket.empty()) out.append("/").append(bucket);
  out.append(request.path.empty() ? std::string_view("/") : request.path);
  if (bucket_slash) out.push_back('/');
  thread_local std::vector<const http::QueryParam*> subs;
  subs.clear();
  for (const http::QueryParam& p : query) {
    if (IsSubResource(p.name)) subs.push_back(&p);
  }
  std::stable_sort(
      subs.begin(), subs.end(),
      [](const http::QueryParam* a, const http::QueryParam* b) { return a->name < b->name; });
  char sep = '?';
  for (const http::QueryParam* p : subs) {
    out.push_back(sep);
    sep = '&';
    out.append(p->name);
    if (p->has_value) out.append("=").append(p->value);
  }
}

// Date header forms: RFC 1123 with "GMT" or "+0000" (AWS's own examples use the latter).
std::optional<std::time_t> ParseV2Date(std::string_view v) {
  if (auto t = ParseHttpDate(v)) return t;
  if (v.size() == 31 && v.ends_with(" +0000")) {
    std::array<char, 29> gmt{};
    std::copy_n(v.data(), 25, gmt.data());
    std::copy_n(" GMT", 4, gmt.data() + 25);
    return ParseHttpDate(std::string_view(gmt.data(), gmt.size()));
  }
  return ParseAmzDate(v);
}

// x-amz-content-sha256 (signed, as every x-amz-* header is): a hex digest is held to the body;
// UNSIGNED-PAYLOAD or absence leave it unchecked; streaming forms need SigV4.
Status ClassifyV2Payload(const http::Request& request, AuthContext& ctx) {
  const http::Header* sha = request.find_header("x-amz-content-sha256");
  if (sha == nullptr || sha->value == kUnsignedPayload) return Status::Ok();
  if (!IsSha256Hex(sha->value)) {
    return Status(Code::kInvalidRequest,
                  "x-amz-content-sha256 must be UNSIGNED-PAYLOAD or a valid sha256 value with "
                  "Signature Version 2.");
  }
  ctx.payload = PayloadKind::kSha256;
  ctx.payload_sha256_hex.assign(sha->value);
  for (char& c : ctx.payload_sha256_hex) c = LowerChar(c);
  return Status::Ok();
}

struct V2Params {
  std::string_view access_key = {};
  std::string_view signature = {};
  std::string_view date_line = {};
  std::string_view token = {};
};

// Header form: the request time (x-amz-date wins over Date, whose line is then empty).
Result<V2Params> HeaderParams(const http::Request& request, std::string_view authorization,
                              std::time_t now, int64_t max_skew) {
  std::string_view rest = TrimWhitespace(authorization.substr(4));
  size_t colon = rest.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == rest.size()) {
    return Err(Code::kInvalidArgument,
               "Authorization header is invalid -- one and only one ' '"
               " (space) required");
  }
  V2Params p{.access_key = rest.substr(0, colon), .signature = rest.substr(colon + 1)};
  std::optional<std::time_t> when;
  if (const http::Header* amz = request.find_header("x-amz-date")) {
    when = ParseV2Date(TrimWhitespace(amz->value));
  } else if (const http::Header* date = request.find_header("date")) {
    p.date_line = TrimWhitespace(date->value);
    when = ParseV2Date(p.date_line);
  }
  if (!when) {
    return Err(Code::kAccessDenied,
               "AWS authentication requires a valid Date or x-amz-date header");
  }
  if (std::llabs(static_cast<long long>(now) - static_cast<long long>(*when)) > max_skew) {
    return Err(Code::kRequestTimeTooSkewed,
               "The difference between the request time and the current time is too large.");
  }
  p.token = HeaderValue(request, "x-amz-security-token");
  return p;
}

// Presigned form: Expires is epoch seconds, in the future and at most max_ahead away.
Result<V2Params> QueryParams(const http::Request& request, std::span<const http::QueryParam> query,
                             std::time_t now, int64_t max_ahead) {
  const http::QueryParam* key = http::FindParam(query, "AWSAccessKeyId");
  const http::QueryParam* sig = http::FindParam(query, "Signature");
  const http::QueryParam* expires = http::FindParam(query, "Expires");
  if (key == nullptr || sig == nullptr || expires == nullptr || key->value.empty() ||
      sig->value.empty()) {
    return Err(Code::kAuthorizationHeaderMalformed,
               "Query-string authentication requires the Signature, Expires and AWSAccessKeyId "
               "parameters");
  }
  const std::string_view e = expires->value;
  long long at = 0;
  bool digits = !e.empty() && e.size() <= 12;
  for (char c : e) {
    digits = digits && c >= '0' && c <= '9';
    if (digits) at = at * 10 + (c - '0');
  }
  if (!digits)
    return Err(Code::kAuthorizationHeaderMalformed, "Invalid date (should be seconds since epoch)");
  if (at < static_cast<long long>(now)) return Err(Code::kAccessDenied, "Request has expired");
  if (at - static_cast<long long>(now) > max_ahead) {
    return Err(Code::kAuthorizationHeaderMalformed,
               "Expires must be less than a week (in seconds) that is; the maximum expires is "
               "604800 seconds");
  }
  V2Params p{.access_key = key->value, .signature = sig->value, .date_line = e};
  p.token = HeaderValue(request, "x-amz-security-token");
  if (const http::QueryParam* t = http::FindParam(query, "x-amz-security-token"))
    p.token = t->value;
  return p;
}

}  // namespace

bool IsSigV2Header(std::string_view authorization) {
  return authorization.starts_with("AWS ");
}

bool IsSigV2Query(std::span<const http::QueryParam> query) {
  return http::FindParam(query, "AWSAccessKeyId") != nullptr ||
         http::FindParam(query, "Signature") != nullptr;
}

bool IsPathStyleBucketOnly(const http::Request& request, std::string_view domain) {
  std::string_view p = request.path;
  return VirtualHostBucket(request.host, domain).empty() && p.size() > 1 && p.front() == '/' &&
         p.find('/', 1) == std::string_view::npos;
}

void BuildSigV2StringToSign(const http::Request& request, std::span<const http::QueryParam> query,
                            std::string_view date_line, std::string_view domain, bool bucket_slash,
                            std::string& out) {
  out.clear();
  out.append(request.method_name).push_back('\n');
  out.append(HeaderValue(request, "content-md5")).push_back('\n');
  out.append(HeaderValue(request, "content-type")).push_back('\n');
  out.append(date_line).push_back('\n');
  AppendCanonicalAmzHeaders(request,
                            IsSigV2Query(query) ? query : std::span<const http::QueryParam>(), out);
  AppendCanonicalResource(request, query, domain, bucket_slash, out);
}

std::string SigV2Signature(std::string_view secret, std::string_view data) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  HMAC(EVP_sha1(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac, &mac_len);
  std::array<unsigned char, 4 * ((EVP_MAX_MD_SIZE + 2) / 3) + 1> b64{};
  int n = EVP_EncodeBlock(b64.data(), mac, static_cast<int>(mac_len));
  OPENSSL_cleanse(mac, sizeof mac);
  return std::string(reinterpret_cast<const char*>(b64.data()), static_cast<size_t>(n));
}

bool SigV2SignatureEquals(std::string_view expected, std::string_view provided) {
  return expected.size() == provided.size() &&
         CRYPTO_memcmp(expected.data(), provided.data(), expected.size()) == 0;
}

Result<AuthContext> VerifySigV2(const CredentialProvider& credentials, const VerifyOptions& options,
                                const http::Request& request,
                                std::span<const http::QueryParam> query, std::time_t now,
                                AuthFailure* failure) {
  const http::Header* authorization = request.find_header("authorization");
  const bool presigned = authorization == nullptr;
  Result<V2Params> params =
      presigned ? QueryParams(request, query, now, options.max_presign_seconds)
                : HeaderParams(request, authorization->value, now, options.max_skew_seconds);
  if (!params) {
    if (failure != nullptr && params.error().code() == Code::kAuthorizationHeaderMalformed) {
      failure->in_query = true;
    }
    return std::unexpected(params.error());
  }
  AuthContext ctx;
  if (Status s = ClassifyV2Payload(request, ctx); !s.ok()) return std::unexpected(s);
  // Temporary (STS) keys too: validated statelessly from the token, as SigV4 does.
  Result<Credential> cred = LookUpCredential(credentials, params->access_key, params->token, now);
  if (!cred) return std::unexpected(cred.error());
  // A path-style request for a bucket alone ("/bucket") is signed as "/bucket" by the letter
  // of AWS's page, and as "/bucket/" by botocore and s3cmd: both are accepted.
  thread_local std::string string_to_sign;
  bool match = false;
  for (bool slash : {false, true}) {
    if (slash && !IsPathStyleBucketOnly(request, options.domain)) break;
    BuildSigV2StringToSign(request, query, params->date_line, options.domain, slash,
                           string_to_sign);
    match =
        SigV2SignatureEquals(SigV2Signature(cred->secret_key, string_to_sign), params->signature);
    if (match) break;
  }
  if (!match) {
    return Err(Code::kSignatureMismatch,
               "The request signature we calculated does not match the signature you provided. "
               "Check your key and signing method.");
  }
  ctx.anonymous = false;
  ctx.access_key = std::move(cred->access_key);
  ctx.is_root = cred->is_root;
  ctx.session_token = std::move(cred->session_token);
  ctx.sigv2 = true;
  ctx.method = presigned ? AuthMethod::kQuery : AuthMethod::kHeader;
  return ctx;
}

}  // namespace flashstor::auth
