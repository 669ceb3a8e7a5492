// Private SigV4 primitives: SHA-256 and HMAC-SHA256 through OpenSSL, lowercase hex, and the
// SigV4 string-to-sign prefixes. Shared by the request verifier and the chunk verifier.
#pragma once

#include <array>
#include <span>
#include <string>
#include <string_view>

#include <openssl/evp.h>

namespace flashstor::auth {

using Digest = std::array<unsigned char, 32>;
using HexDigest = std::array<char, 64>;

inline constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";
// x-amz-content-sha256 for a body the signature does not cover.
inline constexpr std::string_view kUnsignedPayload = "UNSIGNED-PAYLOAD";
inline constexpr std::string_view kEmptySha256Hex =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

// Incremental SHA-256 over an EVP_MD_CTX allocated once (reused by reset()).
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  bool valid() const { return ctx_ != nullptr; }
  void reset();
  void update(std::string_view data);
  Digest finish();

 private:
  EVP_MD_CTX* ctx_;
};

Digest Sha256Of(std::string_view data);
Digest HmacSha256(std::span<const unsigned char> key, std::string_view data);

// An HMAC-SHA256 context keyed (the key's pads hashed) and not yet fed: a copy of it
// (EVP_MAC_CTX_dup) starts a MAC under the key, so a key used for many MACs is processed
// once. Null when out of memory; free with EVP_MAC_CTX_free (which cleanses the keyed state).
EVP_MAC_CTX* NewKeyedHmacSha256(std::span<const unsigned char> key);
// The MAC of data from ctx (keyed, not yet fed), which it frees; a random digest, which no
// client can match, when ctx is null or OpenSSL fails.
Digest HmacSha256Finish(EVP_MAC_CTX* ctx, std::string_view data);
HexDigest ToHex(const Digest& d);
inline std::string_view View(const HexDigest& h) {
  return {h.data(), h.size()};
}

// 64 hex digits of either case: the form of a SHA-256 in x-amz-content-sha256.
bool IsSha256Hex(std::string_view v);

// Constant-time comparison of a computed signature with the one the client sent; false when
// the lengths differ (the length of a signature is public).
bool SignatureEquals(const HexDigest& expected, std::string_view provided);

}  // namespace flashstor::auth
