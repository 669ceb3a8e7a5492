// Credential lookup used by SigV4 verification; iam/ implements it (root user, later IAM users
// and STS sessions).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace flashstor::auth {

struct Credential {
  std::string access_key;
  std::string secret_key;     // never logged
  std::string session_token;  // STS; empty for long-term keys
  bool is_root = false;
};

class CredentialProvider {
 public:
  virtual ~CredentialProvider() = default;
  // Thread-safe. nullopt when the access key is unknown.
  virtual std::optional<Credential> lookup(std::string_view access_key) const = 0;
};

}  // namespace flashstor::auth
