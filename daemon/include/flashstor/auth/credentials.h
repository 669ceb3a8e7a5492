// Credential lookup used by SigV4 verification; iam/ implements it (root user, later IAM users
// and STS sessions).
#pragma once

#include <ctime>
#include <optional>
#include <string>
#include <string_view>

#include "flashstor/common/status.h"

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
  // The credential for a key presented with a session token (X-Amz-Security-Token; empty when
  // none). Providers of temporary credentials override it: kInvalidToken for a missing, forged
  // or foreign token, kExpiredToken once `now` reaches the session's expiry. The default knows
  // long-term keys only (the verifier then refuses any token they carry).
  virtual Result<Credential> lookup_with_token(std::string_view access_key, std::string_view token,
                                               std::time_t now) const {
    (void)token;
    (void)now;
    std::optional<Credential> c = lookup(access_key);
    if (!c) {
      return Err(Code::kInvalidAccessKeyId,
                 "The AWS Access Key Id you provided does not exist in our records.");
    }
    return *c;
  }
};

}  // namespace flashstor::auth
