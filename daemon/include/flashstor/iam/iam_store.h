// IamStore: IAM users (with up to two access keys), groups and managed policies, kept as one
// record on every drive of the system volume (kSysVolume/iam/identities.json, written with a
// majority of the drives, newest record wins -- as the bucket settings store does). Secret
// keys are sealed at rest (secret_seal.h). Readers take an immutable snapshot; every change
// publishes a new one and bumps the epoch, so the next request sees it on every worker.
// Implements auth::CredentialProvider: the root user, then the users' active keys.
#pragma once

#include <array>
#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "flashstor/auth/credentials.h"
#include "flashstor/common/status.h"
#include "flashstor/iam/policy.h"
#include "flashstor/iam/session_token.h"
#include "flashstor/storage/storage_api.h"

namespace flashstor::iam {

// The one account every identity belongs to (ARNs: arn:aws:iam::000000000000:user/alice).
inline constexpr std::string_view kAccountId = "000000000000";
inline constexpr size_t kMaxAccessKeysPerUser = 2;
inline constexpr size_t kMaxUsers = 5000;
inline constexpr size_t kMaxManagedPolicies = 1500;
inline constexpr size_t kMaxGroups = 300;
inline constexpr size_t kMaxAttachedPolicies = 10;
inline constexpr size_t kMaxGroupsPerUser = 10;
inline constexpr size_t kMaxRoles = 1000;
inline constexpr size_t kMaxTrustPolicyChars = 2048;
inline constexpr size_t kMaxInlineRolePolicyChars = 10240;
inline constexpr int64_t kMinRoleSessionSeconds = 3600;
inline constexpr int64_t kMaxRoleSessionSeconds = 43200;

struct AccessKey {
  std::string id;
  std::string secret;  // clear in memory only; sealed in the record
  bool active = true;
  int64_t created = 0;  // epoch seconds
};

struct InlinePolicies {
  std::map<std::string, std::string, std::less<>> documents;  // name -> JSON
};

struct User {
  std::string name, id, path = "/";
  int64_t created = 0;
  std::vector<AccessKey> keys;
  InlinePolicies inline_policies;
  std::vector<std::string> attached;  // managed policy ARNs
  std::vector<std::string> groups;    // group names
};

struct Group {
  std::string name, id, path = "/";
  int64_t created = 0;
  InlinePolicies inline_policies;
  std::vector<std::string> attached;
};

// An IAM role: a trust policy naming who may assume it (sts:AssumeRole, web identity) and the
// permissions (inline and attached policies) its sessions get.
struct Role {
  std::string name, id, path = "/", description, trust_policy;
  int64_t created = 0;
  int64_t max_session_seconds = 3600;  // kMinRoleSessionSeconds..kMaxRoleSessionSeconds
  InlinePolicies inline_policies;
  std::vector<std::string> attached;
};

struct ManagedPolicy {
  std::string name, id, arn, path = "/", description, document;
  int64_t created = 0, updated = 0;
};

struct IamState {
  std::map<std::string, User, std::less<>> users;
  std::map<std::string, Group, std::less<>> groups;
  std::map<std::string, ManagedPolicy, std::less<>> policies;  // by ARN
  std::map<std::string, Role, std::less<>> roles;
  int64_t updated_ns = 0;
};

// A refused change, as the IAM API reports it.
struct IamError {
  std::string code;  // "NoSuchEntity"
  int http_status = 400;
  std::string message;
};

std::string UserArn(std::string_view name, std::string_view path = "/");
std::string GroupArn(std::string_view name, std::string_view path = "/");
std::string RoleArn(std::string_view name, std::string_view path = "/");

// What the authorizer needs of one state: users by access key and their parsed policies.
class IamSnapshot {
 public:
  IamSnapshot(IamState state, uint64_t epoch);
  const IamState& state() const { return state_; }
  uint64_t epoch() const { return epoch_; }
  // The user owning an access key (active or not), or nullptr.
  const User* user_by_key(std::string_view access_key) const;
  const AccessKey* key(std::string_view access_key) const;
  // The user's inline, attached, and groups' policies (parsed at publication).
  const std::vector<std::shared_ptr<const Policy>>& policies_of(std::string_view user) const;
  // Where each of policies_of(user) comes from, index for index: "identity:<inline name>",
  // "identity:<managed ARN>", "group:<group>/<inline name or managed ARN>" (for audit).
  const std::vector<std::string>& policy_sources_of(std::string_view user) const;
  // The role's inline and attached policies (parsed at publication); empty for unknown roles.
  const std::vector<std::shared_ptr<const Policy>>& policies_of_role(std::string_view role) const;
  const Role* role(std::string_view name) const;

 private:
  IamState state_;
  uint64_t epoch_;
  std::map<std::string, std::pair<std::string, size_t>, std::less<>> by_key_;  // -> user, key
  std::map<std::string, std::vector<std::shared_ptr<const Policy>>, std::less<>> policies_;
  std::map<std::string, std::vector<std::string>, std::less<>> sources_;
  std::map<std::string, std::vector<std::shared_ptr<const Policy>>, std::less<>> role_policies_;
};

class IamStore final : public auth::CredentialProvider {
 public:
  // Loads the newest record the drives hold (none: empty). root signs for everything; its
  // secret also derives the sealing key. Keys that fail to unseal are dropped with a log line.
  static Result<std::unique_ptr<IamStore>> Open(
      auth::Credential root, std::vector<std::shared_ptr<storage::StorageApi>> drives);

  std::optional<auth::Credential> lookup(std::string_view access_key) const override;
  // Long-term keys as lookup(); ASIA keys from their sealed session token (session_token.h).
  Result<auth::Credential> lookup_with_token(std::string_view access_key, std::string_view token,
                                             std::time_t now) const override;
  // STS: seals a new session's claims into its token; opens a presented one (no expiry check).
  std::optional<std::string> seal_session(const SessionClaims& claims) const;
  std::optional<SessionClaims> open_session(std::string_view token) const;
  std::shared_ptr<const IamSnapshot> snapshot() const;
  const auth::Credential& root() const { return root_; }
  uint64_t epoch() const { return epoch_.load(std::memory_order_acquire); }

  // Applies change to a copy of the state, stores it with a majority of the drives, publishes
  // it. change returns an IamError to refuse. Changes are serialised.
  std::optional<IamError> update(const std::function<std::optional<IamError>(IamState&)>& change);

 private:
  IamStore(auth::Credential root, std::vector<std::shared_ptr<storage::StorageApi>> drives);
  Status store(const IamState& state);
  void publish(IamState state);

  auth::Credential root_;
  std::vector<std::shared_ptr<storage::StorageApi>> drives_;
  std::array<unsigned char, 32> seal_key_{};
  SealKey session_key_{};
  std::mutex update_mu_;
  mutable std::mutex snap_mu_;
  std::shared_ptr<const IamSnapshot> snap_;
  std::atomic<uint64_t> epoch_{0};
};

}  // namespace flashstor::iam
