// JwtVerifier: JWKS keys built with OpenSSL's EVP_PKEY_fromdata, JWS signatures checked with
// EVP_DigestVerify (ES256's raw r||s turned into DER with ECDSA_SIG), claims read with cJSON.
#include "flashstor/iam/jwt_verifier.h"

#include <cjson/cJSON.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include <cmath>
#include <optional>
#include "json_string.h"

namespace flashstor::iam {
namespace {

using JsonPtr = std::unique_ptr<cJSON, decltype(&cJSON_Delete)>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using BnPtr = std::unique_ptr<BIGNUM, decltype(&BN_free)>;

// base64url (RFC 4648 section 5, no padding) through OpenSSL's base64 decoder.
std::optional<std::string> Base64UrlDecode(std::string_view in) {
  if (in.size() % 4 == 1) return std::nullopt;
  std::string std64(in);
  for (char& c : std64) {
    if (c == '-') {
      c = '+';
    } else if (c == '_') {
      c = '/';
    } else if (c == '+' || c == '/' || c == '=') {
      return std::nullopt;
    }
  }
  size_t pad = (4 - std64.size() % 4) % 4;
  std64.append(pad, '=');
  std::string out(std64.size() / 4 * 3, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(std64.data()),
                          static_cast<int>(std64.size()));
  if (n < 0) return std::nullopt;
  out.resize(static_cast<size_t>(n) - pad);
  return out;
}

BnPtr Bignum(const std::string& b64url) {
  std::optional<std::string> raw = Base64UrlDecode(b64url);
  if (!raw || raw->empty()) return BnPtr(nullptr, BN_free);
  return BnPtr(BN_bin2bn(reinterpret_cast<const unsigned char*>(raw->data()),
                         static_cast<int>(raw->size()), nullptr),
               BN_free);
}

PkeyPtr FromData(const char* type, OSSL_PARAM_BLD* bld) {
  OSSL_PARAM* params = OSSL_PARAM_BLD_to_param(bld);
  if (params == nullptr) return PkeyPtr(nullptr, EVP_PKEY_free);
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr);
  EVP_PKEY* pkey = nullptr;
  if (ctx != nullptr && EVP_PKEY_fromdata_init(ctx) > 0) {
    EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params);
  }
  EVP_PKEY_CTX_free(ctx);
  OSSL_PARAM_free(params);
  return PkeyPtr(pkey, EVP_PKEY_free);
}

PkeyPtr RsaKey(const cJSON* jwk) {
  BnPtr n = Bignum(JsonString(jwk, "n")), e = Bignum(JsonString(jwk, "e"));
  if (!n || !e || BN_num_bits(n.get()) < 2048) return PkeyPtr(nullptr, EVP_PKEY_free);
  OSSL_PARAM_BLD* bld = OSSL_PARAM_BLD_new();
  PkeyPtr key(nullptr, EVP_PKEY_free);
  if (bld == nullptr) return key;
  if (OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n.get()) &&
      OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e.get())) {
    key = FromData("RSA", bld);
  }
  OSSL_PARAM_BLD_free(bld);
  return key;
}

PkeyPtr EcKey(const cJSON* jwk) {
  PkeyPtr key(nullptr, EVP_PKEY_free);
  if (JsonString(jwk, "crv") != "P-256") return key;
  std::optional<std::string> x = Base64UrlDecode(JsonString(jwk, "x"));
  std::optional<std::string> y = Base64UrlDecode(JsonString(jwk, "y"));
  if (!x || !y || x->size() != 32 || y->size() != 32) return key;
  std::string point = "\x04" + *x + *y;  // uncompressed point
  OSSL_PARAM_BLD* bld = OSSL_PARAM_BLD_new();
  if (bld == nullptr) return key;
  if (OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) &&
      OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size())) {
    key = FromData("EC", bld);
  }
  OSSL_PARAM_BLD_free(bld);
  return key;
}

// JWS ES256 signatures are r||s (32 bytes each); EVP wants DER.
std::optional<std::string> EcdsaDer(std::string_view raw) {
  if (raw.size() != 64) return std::nullopt;
  const auto* p = reinterpret_cast<const unsigned char*>(raw.data());
  BIGNUM* r = BN_bin2bn(p, 32, nullptr);
  BIGNUM* s = BN_bin2bn(p + 32, 32, nullptr);
  ECDSA_SIG* sig = ECDSA_SIG_new();
  if (r == nullptr || s == nullptr || sig == nullptr || ECDSA_SIG_set0(sig, r, s) != 1) {
    BN_free(r);
    BN_free(s);
    ECDSA_SIG_free(sig);
    return std::nullopt;
  }
  unsigned char* der = nullptr;
  int n = i2d_ECDSA_SIG(sig, &der);
  ECDSA_SIG_free(sig);
  if (n <= 0) return std::nullopt;
  std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(n));
  OPENSSL_free(der);
  return out;
}

bool VerifySignature(EVP_PKEY* key, std::string_view signed_part, std::string_view sig) {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  if (ctx == nullptr || EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key) != 1) {
    return false;
  }
  return EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(sig.data()), sig.size(),
                          reinterpret_cast<const unsigned char*>(signed_part.data()),
                          signed_part.size()) == 1;
}

// A NumericDate claim; required ones must be present.
std::optional<int64_t> Time(const cJSON* claims, const char* name) {
  const cJSON* v = cJSON_GetObjectItemCaseSensitive(claims, name);
  if (!cJSON_IsNumber(v) || !std::isfinite(v->valuedouble)) return std::nullopt;
  return static_cast<int64_t>(v->valuedouble);
}

}  // namespace

struct JwtVerifier::Key {
  bool ec = false;
  PkeyPtr pkey{nullptr, EVP_PKEY_free};
};

JwtVerifier::JwtVerifier(WebIdentitySettings settings) : settings_(std::move(settings)) {}
JwtVerifier::~JwtVerifier() = default;

std::expected<std::unique_ptr<JwtVerifier>, std::string> JwtVerifier::Create(
    WebIdentitySettings settings, std::string_view jwks_json) {
  if (settings.issuer.empty()) return std::unexpected("web identity: an issuer is required");
  if (settings.audiences.empty()) return std::unexpected("web identity: an audience is required");
  if (settings.skew_seconds < 0 || settings.skew_seconds > kMaxJwtSkewSeconds) {
    return std::unexpected("web identity: the skew must be 0 to 300 seconds");
  }
  if (jwks_json.size() > kMaxJwksBytes) return std::unexpected("JWKS: larger than 256 KiB");
  JsonPtr doc(cJSON_ParseWithLength(jwks_json.data(), jwks_json.size()), cJSON_Delete);
  const cJSON* keys = cJSON_GetObjectItemCaseSensitive(doc.get(), "keys");
  if (!cJSON_IsArray(keys)) return std::unexpected("JWKS: not a document with a \"keys\" array");
  std::unique_ptr<JwtVerifier> v(new JwtVerifier(std::move(settings)));
  const cJSON* jwk = nullptr;
  cJSON_ArrayForEach(jwk, keys) {
    std::string kid = JsonString(jwk, "kid"), kty = JsonString(jwk, "kty");
    if (kid.empty()) return std::unexpected("JWKS: a key without \"kid\"");
    auto key = std::make_unique<Key>();
    key->ec = kty == "EC";
    if (kty == "RSA") {
      key->pkey = RsaKey(jwk);
    } else if (kty == "EC") {
      key->pkey = EcKey(jwk);
    } else {
      return std::unexpected("JWKS: key " + kid + ": kty must be RSA or EC");
    }
    if (!key->pkey) {
      return std::unexpected("JWKS: key " + kid +
                             ": not a usable RSA (2048 bits or more) or P-256 public key");
    }
    v->keys_[kid] = std::move(key);
  }
  if (v->keys_.empty()) return std::unexpected("JWKS: no keys");
  return v;
}

std::expected<JwtClaims, std::string> JwtVerifier::verify(std::string_view token,
                                                          int64_t now) const {
  if (token.size() > kMaxWebIdentityTokenBytes) return std::unexpected("the token is too large");
  size_t dot1 = token.find('.');
  size_t dot2 = dot1 == std::string_view::npos ? dot1 : token.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos) {
    return std::unexpected("the token is not a JWS in compact form");
  }
  auto header_raw = Base64UrlDecode(token.substr(0, dot1));
  auto payload_raw = Base64UrlDecode(token.substr(dot1 + 1, dot2 - dot1 - 1));
  auto sig = Base64UrlDecode(token.substr(dot2 + 1));
  if (!header_raw || !payload_raw || !sig) return std::unexpected("the token is not base64url");
  JsonPtr header(cJSON_ParseWithLength(header_raw->data(), header_raw->size()), cJSON_Delete);
  if (!cJSON_IsObject(header.get())) return std::unexpected("the token header is not JSON");
  const std::string alg = JsonString(header.get(), "alg");
  if (alg != "RS256" && alg != "ES256") {
    return std::unexpected("the token's alg must be RS256 or ES256");
  }
  auto key = keys_.find(JsonString(header.get(), "kid"));
  if (key == keys_.end()) return std::unexpected("the token's kid names no known key");
  if (key->second->ec != (alg == "ES256")) {
    return std::unexpected("the token's alg does not fit its key");
  }
  std::string signature = std::move(*sig);
  if (alg == "ES256") {
    auto der = EcdsaDer(signature);
    if (!der) return std::unexpected("the token's signature is invalid");
    signature = std::move(*der);
  }
  if (!VerifySignature(key->second->pkey.get(), token.substr(0, dot2), signature)) {
    return std::unexpected("the token's signature is invalid");
  }
  JsonPtr claims(cJSON_ParseWithLength(payload_raw->data(), payload_raw->size()), cJSON_Delete);
  if (!cJSON_IsObject(claims.get())) return std::unexpected("the token payload is not JSON");
  JwtClaims out;
  out.issuer = JsonString(claims.get(), "iss");
  out.subject = JsonString(claims.get(), "sub");
  if (out.issuer != settings_.issuer) return std::unexpected("the token's issuer is not trusted");
  if (out.subject.empty() || out.subject.size() > 255) {
    return std::unexpected("the token's sub is missing or too long");
  }
  const cJSON* aud = cJSON_GetObjectItemCaseSensitive(claims.get(), "aud");
  std::vector<std::string> auds;
  if (cJSON_IsString(aud)) auds.emplace_back(aud->valuestring);
  const cJSON* a = nullptr;
  if (cJSON_IsArray(aud)) {
    cJSON_ArrayForEach(a, aud) {
      if (cJSON_IsString(a)) auds.emplace_back(a->valuestring);
    }
  }
  for (const std::string& want : settings_.audiences) {
    for (const std::string& got : auds) {
      if (got == want && out.audience.empty()) out.audience = got;
    }
  }
  if (out.audience.empty()) return std::unexpected("the token's audience is not accepted");
  std::optional<int64_t> exp = Time(claims.get(), "exp");
  std::optional<int64_t> iat = Time(claims.get(), "iat");
  if (!exp || !iat) return std::unexpected("the token lacks exp or iat");
  const int64_t skew = settings_.skew_seconds;
  if (now >= *exp + skew) return std::unexpected("the token has expired");
  if (*iat > now + skew) return std::unexpected("the token was issued in the future");
  if (std::optional<int64_t> nbf = Time(claims.get(), "nbf"); nbf && *nbf > now + skew) {
    return std::unexpected("the token is not valid yet");
  }
  out.expires = *exp;
  out.issued_at = *iat;
  return out;
}

}  // namespace flashstor::iam
