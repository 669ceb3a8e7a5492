// SigningKeyCache: a mutex-guarded map; when full it is cleared wholesale (keys are per day,
// so a full cache means a burst of distinct users and re-deriving is cheap).
#include "signing_key_cache.h"

#include <openssl/crypto.h>

#include "flashstor/auth/sigv4.h"
#include "signing.h"

namespace flashstor::auth {

SigningKeyCache::~SigningKeyCache() {
  for (auto& [name, entry] : map_) OPENSSL_cleanse(entry.key.data(), entry.key.size());
}

std::array<unsigned char, 32> SigningKeyCache::get(std::string_view access_key,
                                                   std::string_view secret, std::string_view date,
                                                   std::string_view region,
                                                   std::string_view service) {
  // '\n' cannot occur in any component (they come from a parsed credential scope).
  thread_local std::string id;
  id.clear();
  id.append(access_key).append("\n").append(date).append("\n").append(region).append("\n");
  id.append(service);
  Digest secret_digest = Sha256Of(secret);
  {
    std::lock_guard lock(mu_);
    auto it = map_.find(id);
    if (it != map_.end() &&
        CRYPTO_memcmp(it->second.secret_digest.data(), secret_digest.data(), 32) == 0) {
      return it->second.key;
    }
  }
  std::array<unsigned char, 32> key = DeriveSigningKey(secret, date, region, service);
  std::lock_guard lock(mu_);
  if (capacity_ == 0) return key;
  if (map_.size() >= capacity_ && map_.find(id) == map_.end()) {
    for (auto& [name, entry] : map_) OPENSSL_cleanse(entry.key.data(), entry.key.size());
    map_.clear();
  }
  map_[id] = Entry{secret_digest, key};
  return key;
}

size_t SigningKeyCache::size() const {
  std::lock_guard lock(mu_);
  return map_.size();
}

}  // namespace flashstor::auth
