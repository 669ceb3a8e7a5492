// SHA-256 / HMAC-SHA256 through OpenSSL, hex encoding and the SigV4 signing-key derivation.
#include "signing.h"

#include <algorithm>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "flashstor/auth/sigv4.h"
#include "flashstor/http/ascii.h"

namespace flashstor::auth {
namespace {

// OpenSSL 3 looks an algorithm up in its provider store, under a lock, whenever it is named
// (EVP_sha256() in an init, HMAC(), a "digest" parameter): fetched once here and kept for the
// process's life. Those look-ups were a third of a 4 KiB GET's signature check.
const EVP_MD* FetchedSha256() {
  static EVP_MD* const md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return md;
}

// An HMAC-SHA256 context with its digest set and no key: each MAC starts from a copy of it
// (EVP_MAC_CTX_dup), so no context keeps a key once its MAC is done.
const EVP_MAC_CTX* HmacSha256Template() {
  static EVP_MAC_CTX* const ctx = [] {
    EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
    EVP_MAC_CTX* c = mac != nullptr ? EVP_MAC_CTX_new(mac) : nullptr;
    EVP_MAC_free(mac);  // the context holds its own reference
    char digest[] = "SHA256";
    const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                                 OSSL_PARAM_END};
    if (c != nullptr && EVP_MAC_CTX_set_params(c, params) != 1) {
      EVP_MAC_CTX_free(c);
      c = nullptr;
    }
    return c;
  }();
  return ctx;
}

}  // namespace

Sha256::Sha256() : ctx_(EVP_MD_CTX_new()) {
  reset();
}

Sha256::~Sha256() {
  EVP_MD_CTX_free(ctx_);
}

void Sha256::reset() {
  if (ctx_ != nullptr && EVP_DigestInit_ex(ctx_, FetchedSha256(), nullptr) != 1) {
    EVP_MD_CTX_free(ctx_);
    ctx_ = nullptr;
  }
}

void Sha256::update(std::string_view data) {
  if (ctx_ != nullptr && !data.empty()) EVP_DigestUpdate(ctx_, data.data(), data.size());
}

Digest Sha256::finish() {
  Digest out{};
  unsigned int len = 0;
  if (ctx_ != nullptr) EVP_DigestFinal_ex(ctx_, out.data(), &len);
  reset();
  return out;
}

Digest Sha256Of(std::string_view data) {
  Digest out{};
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), out.data(), &len, FetchedSha256(), nullptr);
  return out;
}

Digest HmacSha256(std::span<const unsigned char> key, std::string_view data) {
  return HmacSha256Finish(NewKeyedHmacSha256(key), data);
}

EVP_MAC_CTX* NewKeyedHmacSha256(std::span<const unsigned char> key) {
  const EVP_MAC_CTX* tmpl = HmacSha256Template();
  EVP_MAC_CTX* ctx = tmpl != nullptr ? EVP_MAC_CTX_dup(tmpl) : nullptr;
  if (ctx != nullptr && EVP_MAC_init(ctx, key.data(), key.size(), nullptr) != 1) {
    EVP_MAC_CTX_free(ctx);
    ctx = nullptr;
  }
  return ctx;
}

Digest HmacSha256Finish(EVP_MAC_CTX* ctx, std::string_view data) {
  Digest out{};
  size_t len = 0;
  const bool ok =
      ctx != nullptr &&
      EVP_MAC_update(ctx, reinterpret_cast<const unsigned char*>(data.data()), data.size()) == 1 &&
      EVP_MAC_final(ctx, out.data(), &len, out.size()) == 1 && len == out.size();
  EVP_MAC_CTX_free(ctx);  // cleanses the keyed state
  // A failed MAC (out of memory) must match no signature a client could send: not a fixed
  // value such as all zeros, which a client could.
  if (!ok) RAND_bytes(out.data(), static_cast<int>(out.size()));
  return out;
}

HexDigest ToHex(const Digest& d) {
  static constexpr char kHex[] = "0123456789abcdef";
  HexDigest out{};
  for (size_t i = 0; i < d.size(); ++i) {
    out[2 * i] = kHex[d[i] >> 4];
    out[2 * i + 1] = kHex[d[i] & 0xf];
  }
  return out;
}

bool SignatureEquals(const HexDigest& expected, std::string_view provided) {
  if (provided.size() != expected.size()) return false;
  return CRYPTO_memcmp(expected.data(), provided.data(), expected.size()) == 0;
}

std::string HexSha256(std::span<const char> data) {
  HexDigest hex = ToHex(Sha256Of({data.data(), data.size()}));
  return std::string(hex.data(), hex.size());
}

std::array<unsigned char, 32> DeriveSigningKey(std::string_view secret, std::string_view date,
                                               std::string_view region, std::string_view service) {
  // "AWS4" + secret is the first HMAC key; built in a small stack buffer when it fits so the
  // secret is not copied to the heap, and wiped afterwards.
  std::array<unsigned char, 4 + 256> first{};
  std::string heap_key;
  std::span<const unsigned char> k0;
  if (secret.size() <= first.size() - 4) {
    std::copy_n("AWS4", 4, first.begin());
    std::copy(secret.begin(), secret.end(), first.begin() + 4);
    k0 = {first.data(), 4 + secret.size()};
  } else {
    heap_key.reserve(4 + secret.size());
    heap_key.append("AWS4").append(secret);
    k0 = {reinterpret_cast<const unsigned char*>(heap_key.data()), heap_key.size()};
  }
  Digest k_date = HmacSha256(k0, date);
  OPENSSL_cleanse(first.data(), first.size());
  if (!heap_key.empty()) OPENSSL_cleanse(heap_key.data(), heap_key.size());
  Digest k_region = HmacSha256(k_date, region);
  Digest k_service = HmacSha256(k_region, service);
  return HmacSha256(k_service, "aws4_request");
}

bool IsSha256Hex(std::string_view v) {
  return v.size() == 64 &&
         std::all_of(v.begin(), v.end(), [](char c) { return http::ascii::HexValue(c) >= 0; });
}

}  // namespace flashstor::auth
