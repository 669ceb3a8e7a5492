// Verification of OIDC ID tokens (JWT, compact JWS) for STS AssumeRoleWithWebIdentity: RS256
// and ES256 signatures only (alg "none" and HS* are refused), the key chosen by "kid" from a
// JWKS document, and the iss, aud, exp, nbf and iat claims checked with a small bounded skew.
// OpenSSL (EVP, BIGNUM, base64) and cJSON do the work; no hand-written crypto.
#pragma once

#include <cstdint>
#include <expected>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace flashstor::iam {

inline constexpr size_t kMaxWebIdentityTokenBytes = 16 * 1024;  // AWS: 20,000 characters
inline constexpr size_t kMaxJwksBytes = 256 * 1024;
inline constexpr int64_t kMaxJwtSkewSeconds = 300;

struct WebIdentitySettings {
  std::string issuer;                  // must equal the token's "iss"
  std::vector<std::string> audiences;  // the token's "aud" must name one of them
  int64_t skew_seconds = 60;           // 0..kMaxJwtSkewSeconds
};

struct JwtClaims {
  std::string issuer, subject, audience;  // audience: the one that matched
  int64_t expires = 0, issued_at = 0;
};

class JwtVerifier {
 public:
  ~JwtVerifier();
  // Parses the JWKS (RSA keys with n/e, EC P-256 keys with x/y; each needs a "kid"). The
  // error names what is wrong.
  static std::expected<std::unique_ptr<JwtVerifier>, std::string> Create(
      WebIdentitySettings settings, std::string_view jwks_json);

  // Verifies the token at `now` (epoch seconds). The error is a short reason for the client
  // (never the token itself).
  std::expected<JwtClaims, std::string> verify(std::string_view token, int64_t now) const;

  const WebIdentitySettings& settings() const { return settings_; }

 private:
  struct Key;
  explicit JwtVerifier(WebIdentitySettings settings);
  WebIdentitySettings settings_;
  std::map<std::string, std::unique_ptr<Key>, std::less<>> keys_;  // by kid
};

}  // namespace flashstor::iam
