// Bounded, thread-safe cache of SigV4 signing keys, keyed by access key, date, region and
// service, so steady traffic costs one HMAC per request instead of five, and that HMAC starts
// from a context keyed once per entry.
#pragma once

#include <array>
#include <cstddef>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include <openssl/evp.h>

namespace flashstor::auth {

class SigningKeyCache {
 public:
  static constexpr size_t kDefaultCapacity = 1024;

  explicit SigningKeyCache(size_t capacity = kDefaultCapacity) : capacity_(capacity) {}
  ~SigningKeyCache();
  SigningKeyCache(const SigningKeyCache&) = delete;
  SigningKeyCache& operator=(const SigningKeyCache&) = delete;

  // The signing key of the scope (derived and cached on a miss; a cached entry is used only
  // while the secret is unchanged: rotation invalidates it) and its HMAC-SHA256 of data (the
  // signature of a string to sign). Thread-safe.
  struct Signed {
    std::array<unsigned char, 32> key;
    std::array<unsigned char, 32> mac;
  };
  Signed sign(std::string_view access_key, std::string_view secret, std::string_view date,
              std::string_view region, std::string_view service, std::string_view data);

  size_t size() const;

 private:
  struct Entry {
    Entry() = default;
    Entry(const Entry&) = delete;
    Entry& operator=(const Entry&) = delete;
    ~Entry();  // cleanses the secret and the key, frees the keyed context
    // The secret the key was derived from, compared in constant time: a rotated secret
    // misses. Hashing it instead cost a SHA-256 per request; the process holds every secret
    // in its credential store anyway, and the signing key beside it signs as well.
    std::string secret;
    std::array<unsigned char, 32> key{};
    EVP_MAC_CTX* keyed = nullptr;  // HMAC-SHA256 keyed with `key`, never null in the map
  };
  using Map = std::unordered_map<std::string, Entry>;
  // On a hit, copies the entry's key to key and a copy of its keyed context to ctx; call with
  // mu_ held.
  bool find_locked(const std::string& id, std::string_view secret,
                   std::array<unsigned char, 32>& key, EVP_MAC_CTX*& ctx) const;
  // Derives the scope's key and keyed context outside the lock and caches them (unless
  // OpenSSL is out of memory); the same outputs as find_locked.
  void derive_and_insert(const std::string& id, std::string_view secret, std::string_view date,
                         std::string_view region, std::string_view service,
                         std::array<unsigned char, 32>& key, EVP_MAC_CTX*& ctx);

  size_t capacity_;
  mutable std::mutex mu_;
  Map map_;
};

}  // namespace flashstor::auth
