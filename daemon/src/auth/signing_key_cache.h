// Bounded, thread-safe cache of SigV4 signing keys, keyed by access key, date, region and
// service, so steady traffic costs one HMAC per request instead of five.
#pragma once

#include <array>
#include <cstddef>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace flashstor::auth {

class SigningKeyCache {
 public:
  static constexpr size_t kDefaultCapacity = 1024;

  explicit SigningKeyCache(size_t capacity = kDefaultCapacity) : capacity_(capacity) {}
  ~SigningKeyCache();
  SigningKeyCache(const SigningKeyCache&) = delete;
  SigningKeyCache& operator=(const SigningKeyCache&) = delete;

  // Returns the signing key for the scope, deriving and caching it on a miss. A cached entry
  // is only used when the secret is unchanged (rotation invalidates it). Thread-safe.
  std::array<unsigned char, 32> get(std::string_view access_key, std::string_view secret,
                                    std::string_view date, std::string_view region,
                                    std::string_view service);

  size_t size() const;

 private:
  struct Entry {
    std::array<unsigned char, 32> secret_digest;  // SHA-256 of the secret, not the secret
    std::array<unsigned char, 32> key;
  };

  size_t capacity_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, Entry> map_;
};

}  // namespace flashstor::auth
