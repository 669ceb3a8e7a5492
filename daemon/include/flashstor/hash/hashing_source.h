// HashingSource: wraps a request body, computes the MD5 (the ETag) and the requested S3
// checksums as bytes pass, and at end of stream verifies Content-MD5, x-amz-content-sha256 and
// x-amz-checksum-* before the object layer may commit anything.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "flashstor/common/data_stream.h"

namespace flashstor::hash {

enum class ChecksumAlgo : uint8_t { kNone, kCrc32, kCrc32c, kCrc64Nvme, kSha1, kSha256 };

// "CRC32" -> kCrc32 etc. (case-insensitive); nullopt for unknown names.
std::optional<ChecksumAlgo> ParseChecksumAlgo(std::string_view name);
std::string_view ChecksumAlgoName(ChecksumAlgo algo);  // "CRC32", "CRC32C", ...
std::string_view ChecksumHeader(ChecksumAlgo algo);    // "x-amz-checksum-crc32", ...

struct Expectations {
  std::optional<std::array<unsigned char, 16>> content_md5;  // decoded Content-MD5
  std::string sha256_hex;                                    // empty: do not check
  ChecksumAlgo checksum_algo = ChecksumAlgo::kNone;          // compute this checksum
  std::string checksum_b64;  // expected value (base64); empty: compute only
  // Expected value that only becomes known at end of stream (aws-chunked trailer); read
  // once the inner source has returned EOF. May be null.
  const std::string* late_checksum_b64 = nullptr;
};

class HashingSource final : public DataSource {
 public:
  HashingSource(DataSource& inner, Expectations expect);
  ~HashingSource() override;

  // At EOF verifies expectations: kBadDigest (MD5), kContentSha256Mismatch,
  // kChecksumMismatch. Errors are final.
  Result<size_t> read(std::span<char> out) override;

  uint64_t bytes() const { return bytes_; }
  bool finished() const { return finished_; }
  // Valid after EOF.
  std::string md5_hex() const;
  std::array<unsigned char, 16> md5() const;
  ChecksumAlgo checksum_algo() const;
  std::string checksum_b64() const;  // computed value; empty when kNone

 private:
  struct State;
  DataSource& inner_;
  std::unique_ptr<State> state_;
  uint64_t bytes_ = 0;
  bool finished_ = false;
};

// Stand-alone digests, for multipart ETags and tests.
std::string HexEncode(std::span<const unsigned char> bytes);
std::string Base64Encode(std::span<const unsigned char> bytes);
std::optional<std::string> Base64Decode(std::string_view b64);

// Incremental checksum of one algorithm (used for composite multipart checksums and
// by HashingSource).
class Checksum {
 public:
  explicit Checksum(ChecksumAlgo algo);
  ~Checksum();
  Checksum(Checksum&&) noexcept;
  void update(std::span<const char> data);
  std::string final_b64();                     // base64 of the big-endian digest
  std::string final_raw();                     // raw digest bytes
 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace flashstor::hash
