// STS session tokens, stateless: the session's claims (access key id, secret, expiry, role,
// session name, session policies) sealed with AES-256-GCM under a key derived with HKDF from
// the root secret, so any node holding the root secret validates a token with no shared state.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "flashstor/iam/secret_seal.h"

namespace flashstor::iam {

inline constexpr size_t kMaxSessionTokenBytes = 8192;
inline constexpr size_t kMaxSessionPolicyChars = 2048;
inline constexpr size_t kMaxSessionPolicyArns = 10;

struct SessionClaims {
  std::string access_key;  // ASIA...
  std::string secret_key;
  int64_t expiration = 0;  // epoch seconds; the session is refused from this second on
  std::string role_name;
  std::string role_id;                   // AROA...
  std::string session_name;              // RoleSessionName
  std::string source;                    // who assumed the role (an ARN, or the web identity's sub)
  std::string policy;                    // inline session policy (JSON), empty when none
  std::vector<std::string> policy_arns;  // managed session policies
};

// arn:aws:sts::000000000000:assumed-role/<role>/<session>
std::string AssumedRoleArn(std::string_view role_name, std::string_view session_name);

// HKDF-SHA256(ikm = root secret, salt = "flashstor-sts", info = "session-tokens-v1").
std::optional<SealKey> DeriveSessionKey(std::string_view root_secret);
// base64(nonce || AES-256-GCM(JSON claims) || tag), associated data "flashstor-sts-v1".
std::optional<std::string> SealSessionToken(const SealKey& key, const SessionClaims& claims);
// nullopt for a token sealed under another key, tampered with, oversized or malformed.
// Does not check the expiry (the caller compares it with its clock).
std::optional<SessionClaims> OpenSessionToken(const SealKey& key, std::string_view token);

}  // namespace flashstor::iam
