// EvpDigest: one OpenSSL message digest (MD5, SHA-1, SHA-256) with its EVP_MD_CTX owned and
// the algorithm fetched once per process. Failures are recorded, never thrown.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

typedef struct evp_md_ctx_st EVP_MD_CTX;

namespace flashstor::hash {

class EvpDigest {
 public:
  enum class Kind : uint8_t { kMd5, kSha1, kSha256 };
  static constexpr size_t kMaxSize = 64;  // EVP_MAX_MD_SIZE

  explicit EvpDigest(Kind kind);
  ~EvpDigest();
  EvpDigest(const EvpDigest&) = delete;
  EvpDigest& operator=(const EvpDigest&) = delete;

  // False once any OpenSSL call failed; the digest is then meaningless.
  bool ok() const { return ok_; }
  void update(std::span<const uint8_t> data);
  // Writes the digest into out and returns its size (0 on failure). Call once.
  size_t final(std::span<uint8_t, kMaxSize> out);

 private:
  EVP_MD_CTX* ctx_;
  bool ok_;
};

}  // namespace flashstor::hash
