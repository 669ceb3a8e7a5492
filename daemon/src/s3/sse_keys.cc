// FileKeyStore: one 256-bit master key from an owner-only file or a systemd credential.
#include "flashstor/s3/sse_keys.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>

namespace flashstor::s3::sse {
namespace {

constexpr std::string_view kFileKeyId = "flashstor-sse-s3-1";
constexpr size_t kMaxKeyFile = 128;

class FileKeyStore final : public KeyStore {
 public:
  explicit FileKeyStore(const Key& key) : key_(key) {}
  ~FileKeyStore() override { OPENSSL_cleanse(key_.data(), key_.size()); }
  std::string default_key_id() const override { return std::string(kFileKeyId); }
  Result<Key> key(std::string_view id) const override {
    if (id != kFileKeyId) return Err(Code::kNotFound, "unknown master key id");
    return key_;
  }

 private:
  Key key_;
};

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

Result<std::unique_ptr<KeyStore>> LoadFileKeyStore(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return Err(Code::kNotFound, "SSE master key file cannot be opened", errno);
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (st.st_mode & 077) != 0) {
    ::close(fd);
    return Err(Code::kInvalidArgument,
               "SSE master key file must be a regular file readable only by its owner");
  }
  char buf[kMaxKeyFile];
  ssize_t n = ::read(fd, buf, sizeof buf);
  ::close(fd);
  if (n < 0) return Err(Code::kIoError, "SSE master key file unreadable", errno);
  size_t len = static_cast<size_t>(n);
  Key key{};
  if (len == kKeyBytes) {
    std::copy(buf, buf + kKeyBytes, key.begin());
  } else {
    while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r')) --len;
    if (len != 2 * kKeyBytes) {
      OPENSSL_cleanse(buf, sizeof buf);
      return Err(Code::kInvalidArgument, "SSE master key must be 32 bytes or 64 hex digits");
    }
    for (size_t i = 0; i < kKeyBytes; ++i) {
      int hi = HexDigit(buf[2 * i]), lo = HexDigit(buf[2 * i + 1]);
      if (hi < 0 || lo < 0) {
        OPENSSL_cleanse(buf, sizeof buf);
        return Err(Code::kInvalidArgument, "SSE master key must be 32 bytes or 64 hex digits");
      }
      key[i] = static_cast<unsigned char>(hi * 16 + lo);
    }
  }
  OPENSSL_cleanse(buf, sizeof buf);
  auto store = std::make_unique<FileKeyStore>(key);
  OPENSSL_cleanse(key.data(), key.size());
  return std::unique_ptr<KeyStore>(std::move(store));
}

Result<std::unique_ptr<KeyStore>> LoadMasterKeyStore(const std::string& path) {
  if (!path.empty()) return LoadFileKeyStore(path);
  const char* creds = std::getenv("CREDENTIALS_DIRECTORY");
  if (creds == nullptr || *creds == '\0') return std::unique_ptr<KeyStore>();
  std::string cred = std::string(creds) + "/sse-master-key";
  if (::access(cred.c_str(), F_OK) != 0) return std::unique_ptr<KeyStore>();
  return LoadFileKeyStore(cred);
}

}  // namespace flashstor::s3::sse
