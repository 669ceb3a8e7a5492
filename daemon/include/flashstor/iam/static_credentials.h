// Long-term credentials known at start-up: the root user (from the config file or the
// FLASHSTOR_ROOT_USER / FLASHSTOR_ROOT_PASSWORD environment) plus optional extra users.
// Implements auth::CredentialProvider for the SigV4 verifier. IAM policies and STS come later.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>

#include "flashstor/auth/credentials.h"
#include "flashstor/common/status.h"

namespace flashstor::iam {

inline constexpr std::string_view kRootUserEnv = "FLASHSTOR_ROOT_USER";
inline constexpr std::string_view kRootPasswordEnv = "FLASHSTOR_ROOT_PASSWORD";

// Checks an access key / secret pair as MinIO does: access key 3..128 characters, secret
// 8..128, both printable ASCII without spaces; the access key also without ',' '=' '/'
// (they would break the Authorization header's Credential). kInvalidArgument with a message
// naming the rule otherwise. Never echoes the values.
Status ValidateRootCredentials(std::string_view user, std::string_view password);

// The root credential: the environment variables win when set (that is how the systemd unit
// passes secrets); otherwise the config values. Validated. kInvalidArgument when neither is
// set or the pair is invalid. Reads the environment: call at start-up only.
Result<auth::Credential> LoadRootCredential(std::string_view config_user,
                                            std::string_view config_password);

class StaticCredentials final : public auth::CredentialProvider {
 public:
  // root must be valid (see ValidateRootCredentials); it is marked is_root.
  static Result<std::unique_ptr<StaticCredentials>> Create(auth::Credential root);

  // Adds a non-root user (start-up). kInvalidArgument for an invalid pair, kAlreadyExists when
  // the access key is taken (including the root's). Thread-safe.
  Status add_user(std::string_view access_key, std::string_view secret_key);

  // Thread-safe (shared lock); nullopt for an unknown key.
  std::optional<auth::Credential> lookup(std::string_view access_key) const override;

  size_t size() const;

 private:
  explicit StaticCredentials(auth::Credential root);

  mutable std::shared_mutex mu_;
  std::map<std::string, auth::Credential, std::less<>> users_;
};

}  // namespace flashstor::iam
