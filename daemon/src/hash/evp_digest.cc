// EvpDigest over OpenSSL 3 EVP: the EVP_MD objects are fetched once (fetching takes a lock in
// the provider store), each digest owns one EVP_MD_CTX for its whole life.
#include "evp_digest.h"

#include <openssl/evp.h>

namespace flashstor::hash {

static_assert(EvpDigest::kMaxSize == EVP_MAX_MD_SIZE);
namespace {

const EVP_MD* Fetch(EvpDigest::Kind kind) {
  // Fetched objects are kept for the life of the process.
  static const EVP_MD* md5 = EVP_MD_fetch(nullptr, "MD5", nullptr);
  static const EVP_MD* sha1 = EVP_MD_fetch(nullptr, "SHA1", nullptr);
  static const EVP_MD* sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  switch (kind) {
    case EvpDigest::Kind::kMd5:
      return md5;
    case EvpDigest::Kind::kSha1:
      return sha1;
    case EvpDigest::Kind::kSha256:
      return sha256;
  }
  return nullptr;
}

}  // namespace

EvpDigest::EvpDigest(Kind kind) : ctx_(EVP_MD_CTX_new()), ok_(false) {
  const EVP_MD* md = Fetch(kind);
  ok_ = ctx_ != nullptr && md != nullptr && EVP_DigestInit_ex(ctx_, md, nullptr) == 1;
}

EvpDigest::~EvpDigest() {
  EVP_MD_CTX_free(ctx_);
}

void EvpDigest::update(std::span<const uint8_t> data) {
  if (!ok_ || data.empty()) return;
  if (EVP_DigestUpdate(ctx_, data.data(), data.size()) != 1) ok_ = false;
}

size_t EvpDigest::final(std::span<uint8_t, kMaxSize> out) {
  if (!ok_) return 0;
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(ctx_, out.data(), &len) != 1) {
    ok_ = false;
    return 0;
  }
  return len;
}

}  // namespace flashstor::hash
