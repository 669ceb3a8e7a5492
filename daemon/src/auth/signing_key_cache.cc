// SigningKeyCache: a mutex-guarded map; when full it is cleared wholesale (keys are per day,
// so a full cache means a burst of distinct users and re-deriving is cheap).
#include "signing_key_cache.h"

#include <openssl/crypto.h>

#include "flashstor/auth/sigv4.h"
#include "signing.h"

namespace flashstor::auth {

SigningKeyCache::Entry::~Entry() {
  OPENSSL_cleanse(secret.data(), secret.size());
  OPENSSL_cleanse(key.data(), key.size());
  EVP_MAC_CTX_free(keyed);
}

SigningKeyCache::~SigningKeyCache() = default;

namespace {

// The cache's key of a scope, in a buffer of the calling thread's (valid until its next
// call): '\n' cannot occur in any component (they come from a parsed credential scope).
const std::string& ScopeId(std::string_view access_key, std::string_view date,
                           std::string_view region, std::string_view service) {
  thread_local std::string id;
  id.clear();
  id.append(access_key).append("\n").append(date).append("\n").append(region).append("\n");
  id.append(service);
  return id;
}

}  // namespace

bool SigningKeyCache::find_locked(const std::string& id, std::string_view secret,
                                  std::array<unsigned char, 32>& key, EVP_MAC_CTX*& ctx) const {
  auto it = map_.find(id);
  if (it == map_.end() || it->second.secret.size() != secret.size() ||
      CRYPTO_memcmp(it->second.secret.data(), secret.data(), secret.size()) != 0) {
    return false;
  }
  key = it->second.key;
  // Copied under the lock: a full cache may free the entry right after.
  ctx = EVP_MAC_CTX_dup(it->second.keyed);
  return true;
}

void SigningKeyCache::derive_and_insert(const std::string& id, std::string_view secret,
                                        std::string_view date, std::string_view region,
                                        std::string_view service,
                                        std::array<unsigned char, 32>& key, EVP_MAC_CTX*& ctx) {
  // A miss costs four HMACs and a keyed context: made outside the lock, so a stream of
  // misses (any region is a new scope where none is configured) holds up no other check.
  key = DeriveSigningKey(secret, date, region, service);
  EVP_MAC_CTX* keyed = NewKeyedHmacSha256(key);
  ctx = keyed != nullptr ? EVP_MAC_CTX_dup(keyed) : nullptr;
  if (keyed == nullptr) return;  // out of memory: nothing cached, the next request tries again
  Map gone;                      // a full cache's entries, freed after the lock is let go
  {
    std::lock_guard lock(mu_);
    if (map_.size() >= capacity_ && map_.find(id) == map_.end()) gone.swap(map_);
    Entry& e = map_[id];  // a rotated secret's entry is replaced
    OPENSSL_cleanse(e.secret.data(), e.secret.size());
    e.secret.assign(secret);
    e.key = key;
    EVP_MAC_CTX_free(e.keyed);
    e.keyed = keyed;
  }
}

SigningKeyCache::Signed SigningKeyCache::sign(std::string_view access_key, std::string_view secret,
                                              std::string_view date, std::string_view region,
                                              std::string_view service, std::string_view data) {
  Signed out;
  if (capacity_ == 0) {
    out.key = DeriveSigningKey(secret, date, region, service);
    out.mac = HmacSha256(out.key, data);
    return out;
  }
  const std::string& id = ScopeId(access_key, date, region, service);
  EVP_MAC_CTX* ctx = nullptr;
  bool hit = false;
  {
    std::lock_guard lock(mu_);
    hit = find_locked(id, secret, out.key, ctx);
  }
  if (!hit) derive_and_insert(id, secret, date, region, service, out.key, ctx);
  out.mac = HmacSha256Finish(ctx, data);  // frees ctx; a random MAC when it is null
  return out;
}

size_t SigningKeyCache::size() const {
  std::lock_guard lock(mu_);
  return map_.size();
}

}  // namespace flashstor::auth
