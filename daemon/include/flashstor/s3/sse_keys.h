// KeyStore: where the server's key-encryption keys come from (SSE-S3's master key today; an
// external KMS such as KMIP or Vault transit can slot in behind the same interface).
// FileKeyStore reads one master key from a file only its owner may read, or from a systemd
// credential; the key never comes from the configuration in clear.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "flashstor/common/status.h"
#include "flashstor/s3/sse_package.h"

namespace flashstor::s3::sse {

class KeyStore {
 public:
  virtual ~KeyStore() = default;
  // The id of the key SSE-S3 seals new data keys with.
  virtual std::string default_key_id() const = 0;
  // The key-encryption key of that id; kNotFound for an unknown id.
  virtual Result<Key> key(std::string_view id) const = 0;
};

// A file of exactly 32 bytes, or 64 hex digits (a trailing newline allowed). Refused when
// the file is readable or writable by group or others. Key id: "flashstor-sse-s3-1".
Result<std::unique_ptr<KeyStore>> LoadFileKeyStore(const std::string& path);
// The master key file: `path` when not empty, else $CREDENTIALS_DIRECTORY/sse-master-key
// when that credential exists; null (no SSE-S3) when neither is there.
Result<std::unique_ptr<KeyStore>> LoadMasterKeyStore(const std::string& path);

}  // namespace flashstor::s3::sse
