// StaticCredentials: the root user and start-up users in a map read under a shared lock;
// credential validation rules and loading of the root credential from env or config.
#include "flashstor/iam/static_credentials.h"

#include <cstdlib>
#include <mutex>

namespace flashstor::iam {
namespace {

bool PrintableNoSpace(std::string_view s) {
  for (char c : s) {
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

}  // namespace

Status ValidateRootCredentials(std::string_view user, std::string_view password) {
  if (user.size() < 3 || user.size() > 128) {
    return Status(Code::kInvalidArgument, "access key must be 3 to 128 characters long");
  }
  if (!PrintableNoSpace(user) || user.find_first_of(",=/") != std::string_view::npos) {
    return Status(Code::kInvalidArgument,
                  "access key must be printable ASCII without spaces, ',', '=' or '/'");
  }
  if (password.size() < 8 || password.size() > 128) {
    return Status(Code::kInvalidArgument, "secret key must be 8 to 128 characters long");
  }
  if (!PrintableNoSpace(password)) {
    return Status(Code::kInvalidArgument, "secret key must be printable ASCII without spaces");
  }
  return Status::Ok();
}

Result<auth::Credential> LoadRootCredential(std::string_view config_user,
                                            std::string_view config_password) {
  const char* env_user = std::getenv(std::string(kRootUserEnv).c_str());
  const char* env_password = std::getenv(std::string(kRootPasswordEnv).c_str());
  std::string_view user = config_user;
  std::string_view password = config_password;
  if (env_user != nullptr && *env_user != '\0') user = env_user;
  if (env_password != nullptr && *env_password != '\0') password = env_password;
  if (user.empty() || password.empty()) {
    return Err(Code::kInvalidArgument,
               "root credentials missing: set FLASHSTOR_ROOT_USER and FLASHSTOR_ROOT_PASSWORD "
               "or the config's root user and password");
  }
  Status valid = ValidateRootCredentials(user, password);
  if (!valid.ok()) return std::unexpected(valid);
  auth::Credential cred;
  cred.access_key.assign(user);
  cred.secret_key.assign(password);
  cred.is_root = true;
  return cred;
}

Result<std::unique_ptr<StaticCredentials>> StaticCredentials::Create(auth::Credential root) {
  Status valid = ValidateRootCredentials(root.access_key, root.secret_key);
  if (!valid.ok()) return std::unexpected(valid);
  root.is_root = true;
  return std::unique_ptr<StaticCredentials>(new StaticCredentials(std::move(root)));
}

StaticCredentials::StaticCredentials(auth::Credential root) {
  std::string key = root.access_key;
  users_.emplace(std::move(key), std::move(root));
}

Status StaticCredentials::add_user(std::string_view access_key, std::string_view secret_key) {
  FS_RETURN_IF_ERROR(ValidateRootCredentials(access_key, secret_key));
  auth::Credential cred;
  cred.access_key.assign(access_key);
  cred.secret_key.assign(secret_key);
  cred.is_root = false;
  std::unique_lock lock(mu_);
  if (users_.find(access_key) != users_.end()) {
    return Status(Code::kAlreadyExists, "access key already exists");
  }
  std::string key = cred.access_key;
  users_.emplace(std::move(key), std::move(cred));
  return Status::Ok();
}

std::optional<auth::Credential> StaticCredentials::lookup(std::string_view access_key) const {
  std::shared_lock lock(mu_);
  auto it = users_.find(access_key);
  if (it == users_.end()) return std::nullopt;
  return it->second;
}

size_t StaticCredentials::size() const {
  std::shared_lock lock(mu_);
  return users_.size();
}

}  // namespace flashstor::iam
