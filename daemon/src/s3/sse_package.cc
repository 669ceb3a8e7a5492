// AES-256-GCM packages and key sealing through OpenSSL EVP (AES-NI where the CPU has it).
// Package nonce: the part number (4 bytes) and the sequence number (8 bytes), big-endian:
// unique per data key, which is fresh per object. AAD: a format tag, the final flag, the
// part and sequence numbers again, the object id and the object's bucket and key.
#include "flashstor/s3/sse_package.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <memory>

namespace flashstor::s3::sse {
namespace {

constexpr size_t kNonceBytes = 12;
constexpr std::string_view kPackageTag = "flashstor-sse-package-v1";

struct CtxFree {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, CtxFree>;

// The thread's cipher context, reused across packages (a fresh EVP_CIPHER_CTX and cipher
// fetch per 64 KiB package cost a third of the throughput).
EVP_CIPHER_CTX* ThreadContext() {
  thread_local CipherCtx ctx(EVP_CIPHER_CTX_new());
  return ctx.get();
}

// One GCM operation: encrypt (tag written) or decrypt (tag checked). in and out may alias.
bool Gcm(bool encrypt, const Key& key, std::span<const unsigned char> nonce,
         std::span<const unsigned char> aad, std::span<const unsigned char> in, unsigned char* out,
         unsigned char* tag) {
  EVP_CIPHER_CTX* c = ThreadContext();
  if (c == nullptr) return false;
  // Fetched once: the legacy EVP_aes_256_gcm() makes every init look the algorithm up in the
  // provider store again (the reset below forgets it), under a lock.
  static EVP_CIPHER* const cipher = EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr);
  if (cipher == nullptr) return false;
  // nonce.size() is always 12, GCM's default IV length.
  if (EVP_CipherInit_ex(c, cipher, nullptr, key.data(), nonce.data(), encrypt ? 1 : 0) != 1) {
    return false;
  }
  struct Wipe {
    EVP_CIPHER_CTX* c;
    ~Wipe() { EVP_CIPHER_CTX_reset(c); }  // no key schedule left behind
  } wipe{c};
  int len = 0;
  if (!aad.empty() &&
      EVP_CipherUpdate(c, nullptr, &len, aad.data(), static_cast<int>(aad.size())) != 1)
    return false;
  if (!in.empty() && EVP_CipherUpdate(c, out, &len, in.data(), static_cast<int>(in.size())) != 1)
    return false;
  if (!encrypt &&
      EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, static_cast<int>(kTagBytes), tag) != 1)
    return false;
  if (EVP_CipherFinal_ex(c, out + in.size(), &len) != 1) return false;
  if (encrypt &&
      EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, static_cast<int>(kTagBytes), tag) != 1)
    return false;
  return true;
}

void PutBe(std::string& s, uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) s.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

std::array<unsigned char, kNonceBytes> PackageNonce(uint32_t part, uint64_t seq) {
  std::array<unsigned char, kNonceBytes> n{};
  for (int i = 0; i < 4; ++i)
    n[static_cast<size_t>(i)] = static_cast<unsigned char>(part >> (24 - 8 * i));
  for (int i = 0; i < 8; ++i)
    n[static_cast<size_t>(4 + i)] = static_cast<unsigned char>(seq >> (56 - 8 * i));
  return n;
}

std::string PackageAad(const PackageContext& ctx, uint64_t seq, bool final) {
  std::string aad(kPackageTag);
  aad.push_back(final ? 1 : 0);
  PutBe(aad, ctx.part, 4);
  PutBe(aad, seq, 8);
  aad.append(reinterpret_cast<const char*>(ctx.object_id.data()), ctx.object_id.size());
  PutBe(aad, ctx.bucket.size(), 4);
  aad.append(ctx.bucket);
  aad.append(ctx.key);
  return aad;
}

std::span<const unsigned char> Bytes(std::string_view s) {
  return {reinterpret_cast<const unsigned char*>(s.data()), s.size()};
}

}  // namespace

uint64_t PackageCount(uint64_t plain) {
  return plain == 0 ? 1 : (plain + kPackagePlain - 1) / kPackagePlain;
}

uint64_t CipherSize(uint64_t plain) {
  return plain + PackageCount(plain) * kTagBytes;
}

std::optional<uint64_t> PlainSize(uint64_t cipher) {
  if (cipher < kTagBytes) return std::nullopt;
  uint64_t full = cipher / kPackageCipher;
  uint64_t rest = cipher % kPackageCipher;
  uint64_t plain = full * kPackagePlain;
  if (rest != 0) {
    if (rest < kTagBytes || (rest == kTagBytes && full != 0)) return std::nullopt;
    plain += rest - kTagBytes;
  }
  if (CipherSize(plain) != cipher) return std::nullopt;
  return plain;
}

Status SealPackage(const Key& data_key, const PackageContext& ctx, uint64_t seq, bool final,
                   std::span<const unsigned char> plain, std::span<unsigned char> out) {
  if (plain.size() > kPackagePlain || out.size() != plain.size() + kTagBytes) {
    return Status(Code::kInternal, "package size");
  }
  auto nonce = PackageNonce(ctx.part, seq);
  std::string aad = PackageAad(ctx, seq, final);
  if (!Gcm(true, data_key, nonce, Bytes(aad), plain, out.data(), out.data() + plain.size())) {
    return Status(Code::kInternal, "AES-GCM seal failed");
  }
  return Status::Ok();
}

Status OpenPackage(const Key& data_key, const PackageContext& ctx, uint64_t seq, bool final,
                   std::span<const unsigned char> cipher, std::span<unsigned char> out) {
  if (cipher.size() < kTagBytes || cipher.size() > kPackageCipher ||
      out.size() != cipher.size() - kTagBytes) {
    return Status(Code::kCorrupt, "encrypted package has the wrong size");
  }
  auto nonce = PackageNonce(ctx.part, seq);
  std::string aad = PackageAad(ctx, seq, final);
  std::array<unsigned char, kTagBytes> tag;
  std::copy(cipher.end() - kTagBytes, cipher.end(), tag.begin());
  if (!Gcm(false, data_key, nonce, Bytes(aad), cipher.first(out.size()), out.data(), tag.data())) {
    return Status(Code::kCorrupt, "encrypted package fails authentication");
  }
  return Status::Ok();
}

std::string SealKey(const Key& kek, const Key& data_key, std::string_view binding) {
  std::string out(kNonceBytes + kKeyBytes + kTagBytes, '\0');
  auto* p = reinterpret_cast<unsigned char*>(out.data());
  if (RAND_bytes(p, kNonceBytes) != 1) return {};
  if (!Gcm(true, kek, {p, kNonceBytes}, Bytes(binding), data_key, p + kNonceBytes,
           p + kNonceBytes + kKeyBytes)) {
    return {};
  }
  return out;
}

Result<Key> UnsealKey(const Key& kek, std::string_view sealed, std::string_view binding) {
  if (sealed.size() != kNonceBytes + kKeyBytes + kTagBytes) {
    return Err(Code::kCorrupt, "sealed data key malformed");
  }
  const auto* p = reinterpret_cast<const unsigned char*>(sealed.data());
  std::array<unsigned char, kTagBytes> tag;
  std::copy(p + kNonceBytes + kKeyBytes, p + sealed.size(), tag.begin());
  Key key{};
  if (!Gcm(false, kek, {p, kNonceBytes}, Bytes(binding), {p + kNonceBytes, kKeyBytes}, key.data(),
           tag.data())) {
    OPENSSL_cleanse(key.data(), key.size());
    return Err(Code::kAccessDenied, "data key does not unseal");
  }
  return key;
}

Status RandomBytes(std::span<unsigned char> out) {
  if (RAND_bytes(out.data(), static_cast<int>(out.size())) != 1) {
    return Status(Code::kInternal, "random bytes unavailable");
  }
  return Status::Ok();
}

std::string KeyHmac(const Key& key, std::span<const unsigned char> salt) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), salt.data(), salt.size(), md,
           &len) == nullptr) {
    return {};
  }
  return std::string(reinterpret_cast<char*>(md), len);
}

bool SameBytes(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace flashstor::s3::sse
