// HashingSource: wraps a request body, computes the MD5 (the ETag) and the requested S3
// checksums as bytes pass, and at end of stream verifies Content-MD5, x-amz-content-sha256 and
// x-amz-checksum-* before the object layer may commit anything.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
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
  // Expected SHA-256 of the body as 64 hex digits (either case); empty: do not check. The
  // caller filters out UNSIGNED-PAYLOAD and STREAMING-*: anything else that is not the
  // body's digest fails with kContentSha256Mismatch.
  std::string sha256_hex;
  ChecksumAlgo checksum_algo = ChecksumAlgo::kNone;  // compute this checksum
  // Expected value (base64 of the big-endian digest); empty: compute only. Set with
  // checksum_algo == kNone it is a caller bug: the first read fails with kInvalidArgument.
  std::string checksum_b64;
  // Expected value that only becomes known at end of stream (aws-chunked trailer); read
  // once the inner source has returned EOF. May be null.
  const std::string* late_checksum_b64 = nullptr;
};

class HashingSource final : public DataSource {
 public:
  HashingSource(DataSource& inner, Expectations expect);
  ~HashingSource() override;

  // At EOF verifies expectations in this order: kBadDigest (MD5), kContentSha256Mismatch,
  // kChecksumMismatch (also for an expected value that is not valid base64); returns 0 only
  // when all hold. Errors, the inner source's included, are final: later calls repeat them.
  // kInternal if OpenSSL cannot set up a digest. Not thread-safe (one reader).
  Result<size_t> read(std::span<char> out) override;

  // Reads up to n bytes (at most kMaxPrefetch) of the body ahead, waiting for them as read()
  // would (the client's rate bounds apply), and keeps them for the next reads: a caller can
  // wait until a client is really sending before it commits resources to the body (the
  // request memory budget's grant, object/budgeted_layer.h). Stops early at the body's end
  // (read() then reports it); an error is final, as for read(). Once per source.
  Status prefetch(size_t n);
  static constexpr size_t kMaxPrefetch = 16 * 1024;

  uint64_t bytes() const { return bytes_; }
  bool finished() const { return finished_; }
  // Valid once the inner source reached EOF, whether or not verification then passed (for
  // logs); before that md5 is all zeros, md5_hex and checksum_b64 are empty.
  std::string md5_hex() const;
  std::array<unsigned char, 16> md5() const;
  ChecksumAlgo checksum_algo() const;
  std::string checksum_b64() const;  // computed value; empty when kNone

 private:
  struct State;
  Status finish();  // digests and checks at EOF

  DataSource& inner_;
  std::unique_ptr<State> state_;
  uint64_t bytes_ = 0;
  bool finished_ = false;
};

// Stand-alone encodings, for multipart ETags and tests. HexEncode is lowercase.
std::string HexEncode(std::span<const unsigned char> bytes);
// Standard alphabet with '=' padding (RFC 4648 section 4).
std::string Base64Encode(std::span<const unsigned char> bytes);
// Strict: nullopt unless b64 is canonical padded standard base64 (length a multiple of 4,
// only alphabet characters, '=' only as the last one or two, unused trailing bits zero, no
// whitespace). "" decodes to "".
std::optional<std::string> Base64Decode(std::string_view b64);

// True for the algorithms whose checksum of a whole object can be combined from its parts'
// (CRC32, CRC32C, CRC64NVME): the ones AWS allows as multipart FULL_OBJECT checksums.
bool CombinableChecksum(ChecksumAlgo algo);
// The raw checksum of A followed by B from the raw (big-endian) checksums of A and B and B's
// length; raw_a empty means A is empty. nullopt for other algorithms or malformed input.
std::optional<std::string> CombineChecksums(ChecksumAlgo algo, std::string_view raw_a,
                                            std::string_view raw_b, uint64_t length_b);

// Incremental checksum of one algorithm (used for composite multipart checksums and
// by HashingSource).
// CRC32 is zlib's crc32 (ISA-L crc32_gzip_refl), CRC32C is Castagnoli (ISA-L crc32_iscsi),
// CRC64NVME is CRC-64/NVME (crcutil GenericCrc: ISA-L 2.30 lacks crc64_rocksoft), SHA1 and
// SHA256 are OpenSSL EVP. kNone computes nothing and finalizes to "".
class Checksum {
 public:
  explicit Checksum(ChecksumAlgo algo);
  ~Checksum();
  Checksum(Checksum&&) noexcept;
  Checksum& operator=(Checksum&&) noexcept;
  ChecksumAlgo algo() const;
  // False when OpenSSL could not set up the digest (then final_* return "").
  bool ok() const;
  // Updates after the first final_* call are ignored.
  void update(std::span<const char> data);
  std::string final_b64();  // base64 of the big-endian digest; repeatable
  std::string final_raw();  // raw digest bytes; repeatable
 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace flashstor::hash
