// Checksum: one incremental S3 checksum (CRC32, CRC32C, CRC64NVME, SHA1, SHA256), plus the
// algorithm names and header names.
#include "flashstor/hash/hashing_source.h"

#include <array>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "crc.h"
#include "evp_digest.h"

namespace flashstor::hash {
namespace {

struct AlgoInfo {
  ChecksumAlgo algo;
  std::string_view name;
  std::string_view header;
};

constexpr std::array<AlgoInfo, 5> kAlgos{{
    {ChecksumAlgo::kCrc32, "CRC32", "x-amz-checksum-crc32"},
    {ChecksumAlgo::kCrc32c, "CRC32C", "x-amz-checksum-crc32c"},
    {ChecksumAlgo::kCrc64Nvme, "CRC64NVME", "x-amz-checksum-crc64nvme"},
    {ChecksumAlgo::kSha1, "SHA1", "x-amz-checksum-sha1"},
    {ChecksumAlgo::kSha256, "SHA256", "x-amz-checksum-sha256"},
}};

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char c = a[i];
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    if (c != b[i]) return false;  // b is an upper-case table name
  }
  return true;
}

const AlgoInfo* Find(ChecksumAlgo algo) {
  for (const auto& info : kAlgos) {
    if (info.algo == algo) return &info;
  }
  return nullptr;
}

std::span<const uint8_t> Bytes(std::span<const char> data) {
  return {reinterpret_cast<const uint8_t*>(data.data()), data.size()};
}

template <typename T>
std::string BigEndian(T value) {
  std::string out(sizeof(T), '\0');
  for (size_t i = 0; i < sizeof(T); ++i) {
    out[i] = static_cast<char>(static_cast<uint8_t>(value >> (8 * (sizeof(T) - 1 - i))));
  }
  return out;
}

template <typename T>
std::optional<T> FromBigEndian(std::string_view raw) {
  if (raw.size() != sizeof(T)) return std::nullopt;
  T value = 0;
  for (char c : raw) value = static_cast<T>(value << 8) | static_cast<uint8_t>(c);
  return value;
}

template <typename T>
std::optional<std::string> Combine(std::string_view raw_a, std::string_view raw_b,
                                   uint64_t length_b, T (*combine)(T, T, uint64_t)) {
  std::optional<T> b = FromBigEndian<T>(raw_b);
  std::optional<T> a = raw_a.empty() ? std::optional<T>(0) : FromBigEndian<T>(raw_a);
  if (!a || !b) return std::nullopt;
  return BigEndian(raw_a.empty() ? *b : combine(*a, *b, length_b));
}

}  // namespace

bool CombinableChecksum(ChecksumAlgo algo) {
  return algo == ChecksumAlgo::kCrc32 || algo == ChecksumAlgo::kCrc32c ||
         algo == ChecksumAlgo::kCrc64Nvme;
}

std::optional<std::string> CombineChecksums(ChecksumAlgo algo, std::string_view raw_a,
                                            std::string_view raw_b, uint64_t length_b) {
  switch (algo) {
    case ChecksumAlgo::kCrc32:
      return Combine<uint32_t>(raw_a, raw_b, length_b, Crc32Combine);
    case ChecksumAlgo::kCrc32c:
      return Combine<uint32_t>(raw_a, raw_b, length_b, Crc32cCombine);
    case ChecksumAlgo::kCrc64Nvme:
      return Combine<uint64_t>(raw_a, raw_b, length_b, Crc64NvmeCombine);
    default:
      return std::nullopt;
  }
}

std::optional<ChecksumAlgo> ParseChecksumAlgo(std::string_view name) {
  for (const auto& info : kAlgos) {
    if (EqualsIgnoreCase(name, info.name)) return info.algo;
  }
  return std::nullopt;
}

std::string_view ChecksumAlgoName(ChecksumAlgo algo) {
  const AlgoInfo* info = Find(algo);
  return info != nullptr ? info->name : std::string_view();
}

std::string_view ChecksumHeader(ChecksumAlgo algo) {
  const AlgoInfo* info = Find(algo);
  return info != nullptr ? info->header : std::string_view();
}

struct Checksum::Impl {
  explicit Impl(ChecksumAlgo a) : algo(a) {
    if (a == ChecksumAlgo::kSha1) evp.emplace(EvpDigest::Kind::kSha1);
    if (a == ChecksumAlgo::kSha256) evp.emplace(EvpDigest::Kind::kSha256);
  }

  ChecksumAlgo algo;
  uint32_t crc32 = 0;
  uint64_t crc64 = 0;
  std::optional<EvpDigest> evp;
  std::optional<std::string> raw;  // set by the first final_*
};

Checksum::Checksum(ChecksumAlgo algo) : impl_(std::make_unique<Impl>(algo)) {}
Checksum::~Checksum() = default;
Checksum::Checksum(Checksum&&) noexcept = default;
Checksum& Checksum::operator=(Checksum&&) noexcept = default;

ChecksumAlgo Checksum::algo() const {
  return impl_ ? impl_->algo : ChecksumAlgo::kNone;
}

bool Checksum::ok() const {
  return impl_ && (!impl_->evp || impl_->evp->ok());
}

void Checksum::update(std::span<const char> data) {
  if (!impl_ || impl_->raw) return;
  switch (impl_->algo) {
    case ChecksumAlgo::kNone:
      break;
    case ChecksumAlgo::kCrc32:
      impl_->crc32 = Crc32Update(impl_->crc32, Bytes(data));
      break;
    case ChecksumAlgo::kCrc32c:
      impl_->crc32 = Crc32cUpdate(impl_->crc32, Bytes(data));
      break;
    case ChecksumAlgo::kCrc64Nvme:
      impl_->crc64 = Crc64NvmeUpdate(impl_->crc64, Bytes(data));
      break;
    case ChecksumAlgo::kSha1:
    case ChecksumAlgo::kSha256:
      impl_->evp->update(Bytes(data));
      break;
  }
}

std::string Checksum::final_raw() {
  if (!impl_) return {};
  if (impl_->raw) return *impl_->raw;
  std::string raw;
  switch (impl_->algo) {
    case ChecksumAlgo::kNone:
      break;
    case ChecksumAlgo::kCrc32:
    case ChecksumAlgo::kCrc32c:
      raw = BigEndian(impl_->crc32);
      break;
    case ChecksumAlgo::kCrc64Nvme:
      raw = BigEndian(impl_->crc64);
      break;
    case ChecksumAlgo::kSha1:
    case ChecksumAlgo::kSha256: {
      std::array<uint8_t, EvpDigest::kMaxSize> md{};
      const size_t n = impl_->evp->final(md);
      raw.assign(reinterpret_cast<const char*>(md.data()), n);
      break;
    }
  }
  impl_->raw = raw;
  return raw;
}

std::string Checksum::final_b64() {
  const std::string raw = final_raw();
  if (raw.empty()) return {};
  return Base64Encode({reinterpret_cast<const unsigned char*>(raw.data()), raw.size()});
}

}  // namespace flashstor::hash
