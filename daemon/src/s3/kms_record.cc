// EncodeRecord / DecodeRecord: the KMS key store record (JSON through cJSON), each key
// version's material sealed with AES-256-GCM under a key derived from the master key.
#include <cjson/cJSON.h>
#include <openssl/crypto.h>

#include <cstdlib>
#include <memory>

#include "flashstor/iam/secret_seal.h"
#include "flashstor/s3/kms_keys.h"

namespace flashstor::s3::kms {
namespace {

using JsonPtr = std::unique_ptr<cJSON, decltype(&cJSON_Delete)>;
constexpr std::string_view kFormat = "flashstor-kms-v1";
constexpr size_t kMaxRecordBytes = 4u << 20;

// The key that seals key material: HKDF-SHA256 of the master key, so the master key itself
// seals nothing but SSE-S3 data keys.
std::optional<iam::SealKey> MaterialKey(const sse::Key& master) {
  return iam::DeriveKey({reinterpret_cast<const char*>(master.data()), master.size()},
                        "flashstor-kms-seal", "key-material-v1");
}

// AAD of one version's sealed material: a sealed version moved to another key or version
// does not open.
std::string MaterialBinding(std::string_view name, uint32_t version) {
  return std::string(kFormat) + "\n" + std::string(name) + "\n" + std::to_string(version);
}

bool Int(const cJSON* obj, const char* name, int64_t& out) {
  const cJSON* v = cJSON_GetObjectItemCaseSensitive(obj, name);
  if (!cJSON_IsString(v)) return false;
  char* end = nullptr;
  long long n = std::strtoll(v->valuestring, &end, 10);
  if (end == v->valuestring || *end != '\0' || n < 0) return false;
  out = n;
  return true;
}

const char* Str(const cJSON* obj, const char* name) {
  const cJSON* v = cJSON_GetObjectItemCaseSensitive(obj, name);
  return cJSON_IsString(v) ? v->valuestring : nullptr;
}

struct Wipe {
  iam::SealKey& k;
  ~Wipe() { OPENSSL_cleanse(k.data(), k.size()); }
};

std::optional<StoredKey> DecodeKey(const cJSON* k, const iam::SealKey& seal) {
  StoredKey key;
  const char* name = Str(k, "name");
  const char* state = Str(k, "state");
  if (name == nullptr || !ValidKeyName(name) || state == nullptr || !Int(k, "created", key.created))
    return std::nullopt;
  key.name = name;
  if (std::string_view(state) == "Enabled") {
    key.state = KeyState::kEnabled;
  } else if (std::string_view(state) == "Disabled") {
    key.state = KeyState::kDisabled;
  } else {
    return std::nullopt;
  }
  const cJSON* versions = cJSON_GetObjectItemCaseSensitive(k, "versions");
  if (!cJSON_IsArray(versions)) return std::nullopt;
  const cJSON* v = nullptr;
  cJSON_ArrayForEach(v, versions) {
    KeyVersion kv;
    int64_t number = 0;
    const char* sealed = Str(v, "material");
    if (!Int(v, "version", number) || !Int(v, "created", kv.created) || sealed == nullptr)
      return std::nullopt;
    // Versions count up from 1 without gaps.
    if (number != static_cast<int64_t>(key.versions.size()) + 1 || number > kMaxVersions)
      return std::nullopt;
    kv.version = static_cast<uint32_t>(number);
    std::optional<std::string> material =
        iam::OpenSecret(seal, sealed, MaterialBinding(key.name, kv.version));
    if (!material || material->size() != sse::kKeyBytes) {
      if (material) OPENSSL_cleanse(material->data(), material->size());
      return std::nullopt;
    }
    std::copy(material->begin(), material->end(), kv.material.begin());
    OPENSSL_cleanse(material->data(), material->size());
    key.versions.push_back(kv);
    OPENSSL_cleanse(kv.material.data(), kv.material.size());
  }
  if (key.versions.empty()) return std::nullopt;
  return key;
}

}  // namespace

std::optional<std::string> EncodeRecord(const KeyStoreState& state, const sse::Key& master) {
  std::optional<iam::SealKey> seal = MaterialKey(master);
  if (!seal) return std::nullopt;
  Wipe wipe{*seal};
  JsonPtr root(cJSON_CreateObject(), cJSON_Delete);
  cJSON_AddStringToObject(root.get(), "format", std::string(kFormat).c_str());
  cJSON_AddStringToObject(root.get(), "updated", std::to_string(state.updated_ns).c_str());
  cJSON* keys = cJSON_AddArrayToObject(root.get(), "keys");
  for (const auto& [name, key] : state.keys) {
    cJSON* k = cJSON_CreateObject();
    cJSON_AddItemToArray(keys, k);
    cJSON_AddStringToObject(k, "name", name.c_str());
    cJSON_AddStringToObject(k, "state", std::string(StateName(key.state)).c_str());
    cJSON_AddStringToObject(k, "created", std::to_string(key.created).c_str());
    cJSON* versions = cJSON_AddArrayToObject(k, "versions");
    for (const KeyVersion& kv : key.versions) {
      std::optional<std::string> sealed = iam::SealSecret(
          *seal, {reinterpret_cast<const char*>(kv.material.data()), kv.material.size()},
          MaterialBinding(name, kv.version));
      if (!sealed) return std::nullopt;
      cJSON* v = cJSON_CreateObject();
      cJSON_AddItemToArray(versions, v);
      cJSON_AddStringToObject(v, "version", std::to_string(kv.version).c_str());
      cJSON_AddStringToObject(v, "created", std::to_string(kv.created).c_str());
      cJSON_AddStringToObject(v, "material", sealed->c_str());
    }
  }
  char* text = cJSON_PrintUnformatted(root.get());
  if (text == nullptr) return std::nullopt;
  std::string out(text);
  cJSON_free(text);
  return out;
}

std::optional<KeyStoreState> DecodeRecord(std::string_view record, const sse::Key& master) {
  if (record.size() > kMaxRecordBytes) return std::nullopt;
  std::optional<iam::SealKey> seal = MaterialKey(master);
  if (!seal) return std::nullopt;
  Wipe wipe{*seal};
  JsonPtr root(cJSON_ParseWithLength(record.data(), record.size()), cJSON_Delete);
  if (!root || !cJSON_IsObject(root.get())) return std::nullopt;
  const char* format = Str(root.get(), "format");
  KeyStoreState state;
  if (format == nullptr || format != kFormat || !Int(root.get(), "updated", state.updated_ns))
    return std::nullopt;
  const cJSON* keys = cJSON_GetObjectItemCaseSensitive(root.get(), "keys");
  if (!cJSON_IsArray(keys) || static_cast<size_t>(cJSON_GetArraySize(keys)) > kMaxKeys)
    return std::nullopt;
  const cJSON* k = nullptr;
  cJSON_ArrayForEach(k, keys) {
    std::optional<StoredKey> key = DecodeKey(k, *seal);
    if (!key || state.keys.contains(key->name)) return std::nullopt;
    std::string name = key->name;
    state.keys.emplace(std::move(name), std::move(*key));
  }
  return state;
}

}  // namespace flashstor::s3::kms
