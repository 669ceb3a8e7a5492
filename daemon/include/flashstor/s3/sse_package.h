// The encrypted-object format (docs/encryption.md): 64 KiB packages sealed with AES-256-GCM
// under a per-object data key, each package bound to its object, part, sequence number and
// a final flag; and the sealing of that data key under the key the request names.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "flashstor/common/status.h"

namespace flashstor::s3::sse {

inline constexpr size_t kKeyBytes = 32;
inline constexpr size_t kPackagePlain = 64 * 1024;
inline constexpr size_t kTagBytes = 16;
inline constexpr size_t kPackageCipher = kPackagePlain + kTagBytes;
inline constexpr size_t kObjectIdBytes = 16;

using Key = std::array<unsigned char, kKeyBytes>;

// Packages of a part of `plain` bytes: at least one (an empty part has one empty final
// package, so a part cut to nothing is still detected).
uint64_t PackageCount(uint64_t plain);
// Stored (ciphertext) bytes of a part of `plain` bytes.
uint64_t CipherSize(uint64_t plain);
// Plaintext bytes of a part stored as `cipher` bytes; nullopt when no plaintext size maps to
// it (a truncated or padded part).
std::optional<uint64_t> PlainSize(uint64_t cipher);

// What binds a package to its place: the object (bucket, key, random object id) and the part.
struct PackageContext {
  std::string_view bucket;
  std::string_view key;
  std::array<unsigned char, kObjectIdBytes> object_id{};
  uint32_t part = 1;
};

// Seals one package: plain.size() <= kPackagePlain; out gets plain.size() + kTagBytes bytes.
Status SealPackage(const Key& data_key, const PackageContext& ctx, uint64_t seq, bool final,
                   std::span<const unsigned char> plain, std::span<unsigned char> out);
// Opens one package (cipher.size() in [kTagBytes, kPackageCipher]); out gets
// cipher.size() - kTagBytes bytes. kCorrupt when the tag does not verify (wrong key, wrong
// place, flipped bit, truncated).
Status OpenPackage(const Key& data_key, const PackageContext& ctx, uint64_t seq, bool final,
                   std::span<const unsigned char> cipher, std::span<unsigned char> out);

// A data key sealed under a key-encryption key: nonce(12) || ciphertext(32) || tag(16), bound
// to `binding` (the mode, key id and object identity) as AAD.
std::string SealKey(const Key& kek, const Key& data_key, std::string_view binding);
// kAccessDenied when the tag does not verify (wrong key or binding), kCorrupt when malformed.
Result<Key> UnsealKey(const Key& kek, std::string_view sealed, std::string_view binding);

// Fresh random bytes (OpenSSL RAND_bytes); kInternal when the RNG fails.
Status RandomBytes(std::span<unsigned char> out);
// HMAC-SHA256(key, salt): what is stored of an SSE-C key to tell a wrong one.
std::string KeyHmac(const Key& key, std::span<const unsigned char> salt);
// Constant-time equality of two byte strings.
bool SameBytes(std::string_view a, std::string_view b);

}  // namespace flashstor::s3::sse
