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

const SigningKeyCache::Entry& SigningKeyCache::find_or_derive_locked(std::string_view access_key,
                                                                     std::string_view secret,
                                                                     std::string_view date,
                                                                     std::string_view region,
                                                                     std::string_view service) {
  // '\n' cannot occur in any component (they come from a parsed credential scope).
  thread_local std::string id;
  id.clear();
  id.append(access_key).append("\n").append(date).append("\n").append(region).append("\n");
  id.append(service);
  auto it = map_.find(id);
  if (it != map_.end() && it->second.secret.size() == secret.size() &&
      CRYPTO_memcmp(it->second.secret.data(), secret.data(), secret.size()) == 0) {
    return it->second;
  }
  if (it == map_.end() && map_.size() >= capacity_) map_.clear();
  if (it != map_.end()) map_.erase(it);  // the secret was rotated
  Entry& e = map_.try_emplace(id).first->second;
  e.secret.assign(secret);
  e.key = DeriveSigningKey(secret, date, region, service);
  e.keyed = NewKeyedHmacSha256(e.key);
  return e;
}

std::array<unsigned char, 32> SigningKeyCache::get(std::string_view access_key,
                                                   std::string_view secret, std::string_view date,
                                                   std::string_view region,
                                                   std::string_view service) {
  if (capacity_ == 0) return DeriveSigningKey(secret, date, region, service);
  std::lock_guard lock(mu_);
  return find_or_derive_locked(access_key, secret, date, region, service).key;
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
  EVP_MAC_CTX* ctx = nullptr;
  {
    std::lock_guard lock(mu_);
    const Entry& e = find_or_derive_locked(access_key, secret, date, region, service);
    out.key = e.key;
    // The entry's context is copied under the lock (a full cache may clear it right after);
    // the MAC itself runs outside.
    ctx = e.keyed != nullptr ? EVP_MAC_CTX_dup(e.keyed) : nullptr;
  }
  out.mac = HmacSha256Finish(ctx, data);
  return out;
}

size_t SigningKeyCache::size() const {
  std::lock_guard lock(mu_);
  return map_.size();
}

}  // namespace flashstor::auth
