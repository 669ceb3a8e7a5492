// SSE-KMS keys: KeyManager, what SSE-KMS asks of a key management service (named master keys
// with versions, data keys sealed under the newest version and opened by any), and
// KmsKeyStore, the built-in one: key material sealed by the server master key, one record
// on every drive of the system volume. An external KMS (KMIP, Vault transit) implements
// KeyManager the same way.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "flashstor/common/status.h"
#include "flashstor/s3/sse_package.h"
#include "flashstor/storage/storage_api.h"

namespace flashstor::s3::kms {

inline constexpr size_t kMaxKeyNameChars = 64;
inline constexpr size_t kMaxKeys = 1000;
inline constexpr uint32_t kMaxVersions = 100;
// The key SSE-KMS uses when a request names none (created on first use).
inline constexpr std::string_view kDefaultKeyName = "flashstor-default";

enum class KeyState : uint8_t { kEnabled, kDisabled };

struct KeyInfo {
  std::string name;
  KeyState state = KeyState::kEnabled;
  int64_t created = 0;   // epoch seconds
  int64_t rotated = 0;   // epoch seconds of the newest version
  uint32_t version = 0;  // the newest version (new data keys are sealed with it)
};

// A fresh data key: its clear bytes (for the request only) and the sealed form to store.
struct DataKey {
  sse::Key plain{};
  std::string sealed;
  uint32_t version = 0;  // the key version that sealed it
  ~DataKey();
};

// 1..64 characters of A-Z a-z 0-9 _ - (no '/': never a path, never an alias).
bool ValidKeyName(std::string_view name);
std::string_view StateName(KeyState state);

// Errors (Status codes): kNotFound (no such key or version), kPermissionDenied (the key is
// disabled), kAlreadyExists, kInvalidArgument (bad name), kTooLarge (too many keys or
// versions), kWriteQuorum (the change did not reach a majority of the drives).
// Thread-safe.
class KeyManager {
 public:
  virtual ~KeyManager() = default;
  virtual Result<KeyInfo> create_key(std::string_view name) = 0;
  virtual std::vector<KeyInfo> list_keys() const = 0;
  virtual Result<KeyInfo> describe_key(std::string_view name) const = 0;
  // Adds a version; new data keys use it, every older version still opens what it sealed.
  virtual Result<KeyInfo> rotate_key(std::string_view name) = 0;
  virtual Result<KeyInfo> set_state(std::string_view name, KeyState state) = 0;
  // The default key, created when missing.
  virtual Result<KeyInfo> ensure_default_key() = 0;
  // A random data key sealed under the newest version of an enabled key, bound to `aad`
  // (the object's identity and encryption context).
  virtual Result<DataKey> generate_data_key(std::string_view name, std::string_view aad) = 0;
  // Opens a data key sealed by generate_data_key; kAccessDenied when it does not open (another
  // aad, damaged), kPermissionDenied when the key is disabled.
  virtual Result<sse::Key> decrypt_data_key(std::string_view name, uint32_t version,
                                            std::string_view sealed,
                                            std::string_view aad) const = 0;
};

// One version of a key: its material, in clear in memory only.
struct KeyVersion {
  uint32_t version = 0;
  int64_t created = 0;
  sse::Key material{};
};

struct StoredKey {
  std::string name;
  KeyState state = KeyState::kEnabled;
  int64_t created = 0;
  std::vector<KeyVersion> versions;  // ascending, never empty
};

struct KeyStoreState {
  std::map<std::string, StoredKey, std::less<>> keys;
  int64_t updated_ns = 0;
};

// The record on the drives (JSON, cJSON): every version's material sealed with AES-256-GCM
// under a key derived (HKDF-SHA256) from the master key, bound to the key name and version.
// Decode refuses the whole record when anything does not parse or unseal (nullopt).
std::optional<std::string> EncodeRecord(const KeyStoreState& state, const sse::Key& master);
std::optional<KeyStoreState> DecodeRecord(std::string_view record, const sse::Key& master);

class KmsKeyStore final : public KeyManager {
 public:
  // Loads the newest record the drives hold (none: an empty store). Fails when records exist
  // and none opens with this master key (another master key, or damaged everywhere): starting
  // empty would lose every key.
  static Result<std::unique_ptr<KmsKeyStore>> Open(
      const sse::Key& master, std::vector<std::shared_ptr<storage::StorageApi>> drives);
  ~KmsKeyStore() override;

  Result<KeyInfo> create_key(std::string_view name) override;
  std::vector<KeyInfo> list_keys() const override;
  Result<KeyInfo> describe_key(std::string_view name) const override;
  Result<KeyInfo> rotate_key(std::string_view name) override;
  Result<KeyInfo> set_state(std::string_view name, KeyState state) override;
  Result<KeyInfo> ensure_default_key() override;
  Result<DataKey> generate_data_key(std::string_view name, std::string_view aad) override;
  Result<sse::Key> decrypt_data_key(std::string_view name, uint32_t version,
                                    std::string_view sealed, std::string_view aad) const override;

 private:
  KmsKeyStore(const sse::Key& master, std::vector<std::shared_ptr<storage::StorageApi>> drives);
  // Applies change to a copy of the state and stores it with a majority of the drives.
  Result<KeyInfo> update(std::string_view name,
                         const std::function<Status(KeyStoreState&)>& change);
  Status store(const KeyStoreState& state);

  sse::Key master_{};
  std::vector<std::shared_ptr<storage::StorageApi>> drives_;
  std::mutex update_mu_;   // one change at a time
  mutable std::mutex mu_;  // guards state_
  KeyStoreState state_;
};

}  // namespace flashstor::s3::kms
