// KmsKeyStore: the built-in SSE-KMS key manager. Keys live in memory and in one record on
// every drive (kSysVolume/kms/keys.json, majority writes, newest record wins, as the IAM
// store keeps identities); data keys are sealed with AES-256-GCM under a key version.
#include <openssl/crypto.h>

#include <algorithm>
#include <ctime>

#include "flashstor/obs/log.h"
#include "flashstor/s3/kms_keys.h"

namespace flashstor::s3::kms {
namespace {

constexpr std::string_view kDir = "kms";
constexpr std::string_view kFile = "keys.json";

int64_t NowNs() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

int64_t NowS() {
  return static_cast<int64_t>(std::time(nullptr));
}

KeyInfo InfoOf(const StoredKey& k) {
  KeyInfo info;
  info.name = k.name;
  info.state = k.state;
  info.created = k.created;
  info.version = k.versions.back().version;
  info.rotated = k.versions.back().created;
  return info;
}

// The AAD of a data key: the key name and version that seal it, then the caller's binding.
std::string DataKeyBinding(std::string_view name, uint32_t version, std::string_view aad) {
  std::string out = "flashstor-kms-data-key-v1\n";
  out.append(name).append("\n").append(std::to_string(version)).append("\n").append(aad);
  return out;
}

Status NewVersion(StoredKey& key) {
  KeyVersion v;
  v.version = key.versions.empty() ? 1 : key.versions.back().version + 1;
  v.created = NowS();
  if (Status s = sse::RandomBytes(v.material); !s.ok()) return s;
  key.versions.push_back(v);
  OPENSSL_cleanse(v.material.data(), v.material.size());
  return Status::Ok();
}

void WipeState(KeyStoreState& state) {
  for (auto& [name, key] : state.keys) {
    for (KeyVersion& v : key.versions) OPENSSL_cleanse(v.material.data(), v.material.size());
  }
}

}  // namespace

DataKey::~DataKey() {
  OPENSSL_cleanse(plain.data(), plain.size());
}

bool ValidKeyName(std::string_view name) {
  if (name.empty() || name.size() > kMaxKeyNameChars) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
  });
}

std::string_view StateName(KeyState state) {
  return state == KeyState::kEnabled ? "Enabled" : "Disabled";
}

KmsKeyStore::KmsKeyStore(const sse::Key& master,
                         std::vector<std::shared_ptr<storage::StorageApi>> drives)
    : master_(master), drives_(std::move(drives)) {}

KmsKeyStore::~KmsKeyStore() {
  OPENSSL_cleanse(master_.data(), master_.size());
  WipeState(state_);
}

Result<std::unique_ptr<KmsKeyStore>> KmsKeyStore::Open(
    const sse::Key& master, std::vector<std::shared_ptr<storage::StorageApi>> drives) {
  std::unique_ptr<KmsKeyStore> store(new KmsKeyStore(master, std::move(drives)));
  std::optional<KeyStoreState> newest;
  size_t found = 0, refused = 0;
  for (const auto& drive : store->drives_) {
    if (drive == nullptr) continue;
    auto raw = drive->read_all(storage::kSysVolume, kDir, kFile);
    if (!raw) continue;
    ++found;
    std::optional<KeyStoreState> state = DecodeRecord(*raw, store->master_);
    OPENSSL_cleanse(raw->data(), raw->size());
    if (!state) {
      ++refused;
      continue;
    }
    if (!newest || state->updated_ns > newest->updated_ns) {
      if (newest) WipeState(*newest);
      newest = std::move(*state);
    } else {
      WipeState(*state);
    }
  }
  if (found > 0 && !newest) {
    return Err(Code::kCorrupt,
               "the KMS key store on the drives does not open with this master key (another "
               "master key, or damaged on every drive)");
  }
  if (refused > 0) {
    obs::Log(obs::Level::kError, "KMS key store records that do not open were ignored",
             {{"DRIVES", std::to_string(refused)}});
  }
  if (newest) store->state_ = std::move(*newest);
  return store;
}

Status KmsKeyStore::store(const KeyStoreState& state) {
  std::optional<std::string> record = EncodeRecord(state, master_);
  if (!record) return Status(Code::kInternal, "sealing failed");
  size_t written = 0;
  for (const auto& drive : drives_) {
    if (drive != nullptr && drive->write_all(storage::kSysVolume, kDir, kFile, *record).ok()) {
      ++written;
    }
  }
  if (written < drives_.size() / 2 + 1) return Status(Code::kWriteQuorum, "KMS key store");
  return Status::Ok();
}

Result<KeyInfo> KmsKeyStore::update(std::string_view name,
                                    const std::function<Status(KeyStoreState&)>& change) {
  // Changes are serialised; readers (data keys of requests) wait for mu_ only while the
  // state is copied or swapped, never while the drives are written.
  std::lock_guard<std::mutex> serial(update_mu_);
  KeyStoreState next;
  {
    std::lock_guard<std::mutex> lock(mu_);
    next = state_;
  }
  struct WipeNext {
    KeyStoreState& s;
    ~WipeNext() { WipeState(s); }
  } wipe{next};
  if (Status s = change(next); !s.ok()) return std::unexpected(s);
  next.updated_ns = std::max(next.updated_ns + 1, NowNs());
  if (Status s = store(next); !s.ok()) return std::unexpected(s);
  std::lock_guard<std::mutex> lock(mu_);
  std::swap(state_, next);
  return InfoOf(state_.keys.find(name)->second);
}

Result<KeyInfo> KmsKeyStore::create_key(std::string_view name) {
  if (!ValidKeyName(name)) return Err(Code::kInvalidArgument, "invalid key name");
  return update(name, [name](KeyStoreState& s) {
    if (s.keys.contains(name)) return Status(Code::kAlreadyExists, "the key exists");
    if (s.keys.size() >= kMaxKeys) return Status(Code::kTooLarge, "too many keys");
    StoredKey key;
    key.name = std::string(name);
    key.created = NowS();
    if (Status st = NewVersion(key); !st.ok()) return st;
    s.keys.emplace(std::string(name), std::move(key));
    return Status::Ok();
  });
}

std::vector<KeyInfo> KmsKeyStore::list_keys() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<KeyInfo> out;
  for (const auto& [name, key] : state_.keys) out.push_back(InfoOf(key));
  return out;
}

Result<KeyInfo> KmsKeyStore::describe_key(std::string_view name) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = state_.keys.find(name);
  if (it == state_.keys.end()) return Err(Code::kNotFound, "no such key");
  return InfoOf(it->second);
}

Result<KeyInfo> KmsKeyStore::rotate_key(std::string_view name) {
  return update(name, [name](KeyStoreState& s) {
    auto it = s.keys.find(name);
    if (it == s.keys.end()) return Status(Code::kNotFound, "no such key");
    if (it->second.state != KeyState::kEnabled)
      return Status(Code::kPermissionDenied, "the key is disabled");
    if (it->second.versions.size() >= kMaxVersions)
      return Status(Code::kTooLarge, "the key has too many versions");
    return NewVersion(it->second);
  });
}

Result<KeyInfo> KmsKeyStore::set_state(std::string_view name, KeyState state) {
  return update(name, [name, state](KeyStoreState& s) {
    auto it = s.keys.find(name);
    if (it == s.keys.end()) return Status(Code::kNotFound, "no such key");
    it->second.state = state;
    return Status::Ok();
  });
}

Result<KeyInfo> KmsKeyStore::ensure_default_key() {
  if (Result<KeyInfo> k = describe_key(kDefaultKeyName)) return k;
  Result<KeyInfo> created = create_key(kDefaultKeyName);
  if (!created && created.error().code() == Code::kAlreadyExists) {
    return describe_key(kDefaultKeyName);  // a concurrent request created it
  }
  return created;
}

Result<DataKey> KmsKeyStore::generate_data_key(std::string_view name, std::string_view aad) {
  sse::Key material{};
  uint32_t version = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = state_.keys.find(name);
    if (it == state_.keys.end()) return Err(Code::kNotFound, "no such key");
    if (it->second.state != KeyState::kEnabled)
      return Err(Code::kPermissionDenied, "the key is disabled");
    material = it->second.versions.back().material;
    version = it->second.versions.back().version;
  }
  DataKey out;
  out.version = version;
  Status s = sse::RandomBytes(out.plain);
  if (s.ok()) {
    out.sealed = sse::SealKey(material, out.plain, DataKeyBinding(name, version, aad));
    if (out.sealed.empty()) s = Status(Code::kInternal, "data key sealing failed");
  }
  OPENSSL_cleanse(material.data(), material.size());
  if (!s.ok()) return std::unexpected(s);
  return out;
}

Result<sse::Key> KmsKeyStore::decrypt_data_key(std::string_view name, uint32_t version,
                                               std::string_view sealed,
                                               std::string_view aad) const {
  sse::Key material{};
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = state_.keys.find(name);
    if (it == state_.keys.end()) return Err(Code::kNotFound, "no such key");
    if (it->second.state != KeyState::kEnabled)
      return Err(Code::kPermissionDenied, "the key is disabled");
    const auto& versions = it->second.versions;
    if (version == 0 || version > versions.size()) return Err(Code::kNotFound, "no such version");
    material = versions[version - 1].material;
  }
  Result<sse::Key> key = sse::UnsealKey(material, sealed, DataKeyBinding(name, version, aad));
  OPENSSL_cleanse(material.data(), material.size());
  if (!key) return Err(Code::kAccessDenied, "the data key does not open");
  return key;
}

}  // namespace flashstor::s3::kms
