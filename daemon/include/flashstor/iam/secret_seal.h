// Sealing of secret access keys at rest: a 256-bit key derived from a server secret with
// HKDF-SHA256, AES-256-GCM with a random 96-bit nonce per secret and the access key id as
// associated data (a sealed secret moved to another key id does not open). OpenSSL EVP only.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>

namespace flashstor::iam {

using SealKey = std::array<unsigned char, 32>;

// HKDF-SHA256 of a server secret with the given salt and info (32 bytes).
std::optional<SealKey> DeriveKey(std::string_view server_secret, std::string_view salt,
                                 std::string_view info);
// HKDF-SHA256(ikm = server secret, salt = "flashstor-iam-seal", info = "secret-keys-v1").
std::optional<SealKey> DeriveSealKey(std::string_view server_secret);
// base64(nonce || ciphertext || tag); nullopt if OpenSSL fails.
std::optional<std::string> SealSecret(const SealKey& key, std::string_view secret,
                                      std::string_view key_id);
// nullopt when the record was sealed with another key, tampered with, or moved.
std::optional<std::string> OpenSecret(const SealKey& key, std::string_view sealed,
                                      std::string_view key_id);

}  // namespace flashstor::iam
