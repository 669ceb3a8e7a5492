// IamStore: loading the newest IAM record from the drives, majority writes of every change,
// snapshots with parsed policies, and credential lookup for the SigV4 verifier.
#include "flashstor/iam/iam_store.h"

#include <openssl/crypto.h>

#include <algorithm>
#include <ctime>

#include "flashstor/common/authz_epoch.h"
#include "flashstor/obs/log.h"
#include "iam_record.h"

namespace flashstor::iam {
namespace {

constexpr std::string_view kIamKey = "iam";
constexpr std::string_view kIamFile = "identities.json";

int64_t NowNs() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

void AddParsed(const std::string& json, PolicyKind kind, std::string source,
               std::vector<std::shared_ptr<const Policy>>& out, std::vector<std::string>& sources) {
  auto parsed = ParsePolicy(json, kind);
  if (!parsed) return;
  out.push_back(std::make_shared<const Policy>(std::move(*parsed)));
  sources.push_back(std::move(source));
}

}  // namespace

std::string UserArn(std::string_view name, std::string_view path) {
  return "arn:aws:iam::" + std::string(kAccountId) + ":user" + std::string(path) +
         std::string(name);
}

std::string GroupArn(std::string_view name, std::string_view path) {
  return "arn:aws:iam::" + std::string(kAccountId) + ":group" + std::string(path) +
         std::string(name);
}

std::string RoleArn(std::string_view name, std::string_view path) {
  return "arn:aws:iam::" + std::string(kAccountId) + ":role" + std::string(path) +
         std::string(name);
}

IamSnapshot::IamSnapshot(IamState state, uint64_t epoch) : state_(std::move(state)), epoch_(epoch) {
  for (const auto& [name, role] : state_.roles) {
    auto& list = role_policies_[name];
    std::vector<std::string> unused;  // role sessions are not audited by policy name yet
    for (const auto& [pname, doc] : role.inline_policies.documents) {
      AddParsed(doc, PolicyKind::kIdentity, "role:" + pname, list, unused);
    }
    for (const std::string& arn : role.attached) {
      auto it = state_.policies.find(arn);
      if (it != state_.policies.end()) {
        AddParsed(it->second.document, PolicyKind::kIdentity, "role:" + arn, list, unused);
      }
    }
  }
  for (const auto& [name, user] : state_.users) {
    for (size_t i = 0; i < user.keys.size(); ++i) by_key_[user.keys[i].id] = {name, i};
    auto& list = policies_[name];
    auto& sources = sources_[name];
    for (const auto& [pname, doc] : user.inline_policies.documents) {
      AddParsed(doc, PolicyKind::kIdentity, "identity:" + pname, list, sources);
    }
    auto add_attached = [&](const std::vector<std::string>& arns, std::string_view prefix) {
      for (const std::string& arn : arns) {
        auto it = state_.policies.find(arn);
        if (it != state_.policies.end())
          AddParsed(it->second.document, PolicyKind::kIdentity, std::string(prefix) + arn, list,
                    sources);
      }
    };
    add_attached(user.attached, "identity:");
    for (const std::string& gname : user.groups) {
      auto g = state_.groups.find(gname);
      if (g == state_.groups.end()) continue;
      for (const auto& [pname, doc] : g->second.inline_policies.documents) {
        AddParsed(doc, PolicyKind::kIdentity, "group:" + gname + "/" + pname, list, sources);
      }
      add_attached(g->second.attached, "group:" + gname + "/");
    }
  }
}

const User* IamSnapshot::user_by_key(std::string_view access_key) const {
  auto it = by_key_.find(access_key);
  if (it == by_key_.end()) return nullptr;
  auto u = state_.users.find(it->second.first);
  return u == state_.users.end() ? nullptr : &u->second;
}

const AccessKey* IamSnapshot::key(std::string_view access_key) const {
  const User* u = user_by_key(access_key);
  if (u == nullptr) return nullptr;
  return &u->keys[by_key_.find(access_key)->second.second];
}

const std::vector<std::shared_ptr<const Policy>>& IamSnapshot::policies_of(
    std::string_view user) const {
  static const std::vector<std::shared_ptr<const Policy>> kNone;
  auto it = policies_.find(user);
  return it == policies_.end() ? kNone : it->second;
}

const std::vector<std::string>& IamSnapshot::policy_sources_of(std::string_view user) const {
  static const std::vector<std::string> kNone;
  auto it = sources_.find(user);
  return it == sources_.end() ? kNone : it->second;
}

const std::vector<std::shared_ptr<const Policy>>& IamSnapshot::policies_of_role(
    std::string_view role) const {
  static const std::vector<std::shared_ptr<const Policy>> kNone;
  auto it = role_policies_.find(role);
  return it == role_policies_.end() ? kNone : it->second;
}

const Role* IamSnapshot::role(std::string_view name) const {
  auto it = state_.roles.find(name);
  return it == state_.roles.end() ? nullptr : &it->second;
}

IamStore::IamStore(auth::Credential root, std::vector<std::shared_ptr<storage::StorageApi>> drives)
    : root_(std::move(root)), drives_(std::move(drives)) {}

Result<std::unique_ptr<IamStore>> IamStore::Open(
    auth::Credential root, std::vector<std::shared_ptr<storage::StorageApi>> drives) {
  root.is_root = true;
  std::unique_ptr<IamStore> store(new IamStore(std::move(root), std::move(drives)));
  std::optional<SealKey> key = DeriveSealKey(store->root_.secret_key);
  if (!key) return Err(Code::kInternal, "cannot derive the IAM sealing key");
  store->seal_key_ = *key;
  std::optional<SealKey> session_key = DeriveSessionKey(store->root_.secret_key);
  if (!session_key) return Err(Code::kInternal, "cannot derive the STS session key");
  store->session_key_ = *session_key;
  std::optional<IamState> newest;
  size_t dropped = 0;
  for (const auto& drive : store->drives_) {
    if (drive == nullptr) continue;
    auto raw = drive->read_all(storage::kSysVolume, kIamKey, kIamFile);
    if (!raw) continue;
    size_t drop_here = 0;
    auto state = internal::DecodeIamRecord(*raw, store->seal_key_, &drop_here);
    if (state && (!newest || state->updated_ns > newest->updated_ns)) {
      newest = std::move(*state);
      dropped = drop_here;
    }
  }
  if (dropped > 0) {
    obs::Log(obs::Level::kError,
             "IAM access keys sealed with another root secret were dropped (the root password "
             "changed?)",
             {{"KEYS", std::to_string(dropped)}});
  }
  store->publish(newest ? std::move(*newest) : IamState{});
  return store;
}

std::optional<auth::Credential> IamStore::lookup(std::string_view access_key) const {
  if (access_key.size() == root_.access_key.size() &&
      CRYPTO_memcmp(access_key.data(), root_.access_key.data(), access_key.size()) == 0) {
    return root_;
  }
  std::shared_ptr<const IamSnapshot> snap = snapshot();
  const AccessKey* key = snap->key(access_key);
  if (key == nullptr || !key->active) return std::nullopt;  // inactive keys are unknown keys
  auth::Credential cred;
  cred.access_key = key->id;
  cred.secret_key = key->secret;
  return cred;
}

Result<auth::Credential> IamStore::lookup_with_token(std::string_view access_key,
                                                     std::string_view token,
                                                     std::time_t now) const {
  if (!access_key.starts_with("ASIA")) {
    std::optional<auth::Credential> cred = lookup(access_key);
    if (!cred) {
      return Err(Code::kInvalidAccessKeyId,
                 "The AWS Access Key Id you provided does not exist in our records.");
    }
    return *cred;
  }
  if (token.empty()) {
    return Err(Code::kInvalidToken,
               "The security token included in the request is missing: temporary credentials "
               "need X-Amz-Security-Token.");
  }
  std::optional<SessionClaims> claims = open_session(token);
  if (!claims || claims->access_key.size() != access_key.size() ||
      CRYPTO_memcmp(claims->access_key.data(), access_key.data(), access_key.size()) != 0) {
    return Err(Code::kInvalidToken, "The provided token is malformed or otherwise invalid.");
  }
  if (static_cast<int64_t>(now) >= claims->expiration) {
    return Err(Code::kExpiredToken, "The provided token has expired.");
  }
  auth::Credential cred;
  cred.access_key = std::move(claims->access_key);
  cred.secret_key = std::move(claims->secret_key);
  cred.session_token = std::string(token);
  return cred;
}

std::optional<std::string> IamStore::seal_session(const SessionClaims& claims) const {
  return SealSessionToken(session_key_, claims);
}

std::optional<SessionClaims> IamStore::open_session(std::string_view token) const {
  return OpenSessionToken(session_key_, token);
}

std::shared_ptr<const IamSnapshot> IamStore::snapshot() const {
  std::lock_guard<std::mutex> lock(snap_mu_);
  return snap_;
}

std::optional<IamError> IamStore::update(
    const std::function<std::optional<IamError>(IamState&)>& change) {
  std::lock_guard<std::mutex> lock(update_mu_);
  IamState next = snapshot()->state();
  if (auto refused = change(next)) return refused;
  next.updated_ns = std::max(next.updated_ns + 1, NowNs());
  if (Status s = store(next); !s.ok()) {
    return IamError{"ServiceFailure", 500,
                    "the IAM record could not be written to a majority "
                    "of the drives"};
  }
  publish(std::move(next));
  return std::nullopt;
}

Status IamStore::store(const IamState& state) {
  std::optional<std::string> record = internal::EncodeIamRecord(state, seal_key_);
  if (!record) return Status(Code::kInternal, "sealing failed");
  size_t written = 0;
  for (const auto& drive : drives_) {
    if (drive != nullptr &&
        drive->write_all(storage::kSysVolume, kIamKey, kIamFile, *record).ok()) {
      ++written;
    }
  }
  if (written < drives_.size() / 2 + 1) return Status(Code::kWriteQuorum, "IAM record");
  return Status::Ok();
}

void IamStore::publish(IamState state) {
  uint64_t epoch = epoch_.load(std::memory_order_relaxed) + 1;
  auto snap = std::make_shared<const IamSnapshot>(std::move(state), epoch);
  {
    std::lock_guard<std::mutex> lock(snap_mu_);
    snap_ = std::move(snap);
  }
  epoch_.store(epoch, std::memory_order_release);
  BumpAuthzEpoch();
}

}  // namespace flashstor::iam
