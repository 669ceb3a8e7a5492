// CRC updates for the S3 checksum algorithms over ISA-L and crcutil (ISA-L 2.30, Debian 12,
// has no CRC-64/NVME; its crc64_rocksoft_refl arrived in 2.31).
#include "crc.h"

#include <crcutil/generic_crc.h>
#include <isa-l/crc.h>

#include <algorithm>
#include <cstddef>

namespace flashstor::hash {
namespace {

// crc32_iscsi takes an int length.
constexpr size_t kIscsiChunk = size_t{1} << 30;
// CRC-64/NVME polynomial 0xAD93D23594C93659, bit-reversed as crcutil's reflected CRCs want.
constexpr uint64_t kCrc64NvmeReflected = 0x9A6C9329AC4BC9B5ULL;
// CRC-32 (0x04C11DB7) and CRC-32C (0x1EDC6F41), bit-reversed; only combined with crcutil
// (their updates stay with ISA-L).
constexpr uint64_t kCrc32Reflected = 0xEDB88320ULL;
constexpr uint64_t kCrc32cReflected = 0x82F63B78ULL;

using Crc64Impl = crcutil::GenericCrc<uint64_t, uint64_t, uint64_t, 4>;

const Crc64Impl& Crc64Nvme() {
  // Tables (about 32 KiB) are built once, thread-safely; never destroyed.
  static const Crc64Impl* impl = new Crc64Impl(kCrc64NvmeReflected, 64, /*canonical=*/true);
  return *impl;
}

const Crc64Impl& Crc32Math() {
  static const Crc64Impl* impl = new Crc64Impl(kCrc32Reflected, 32, /*canonical=*/true);
  return *impl;
}

const Crc64Impl& Crc32cMath() {
  static const Crc64Impl* impl = new Crc64Impl(kCrc32cReflected, 32, /*canonical=*/true);
  return *impl;
}

}  // namespace

uint32_t Crc32Update(uint32_t crc, std::span<const uint8_t> data) {
  // crc32_gzip_refl inverts before and after, exactly like zlib's crc32.
  return crc32_gzip_refl(crc, data.data(), data.size());
}

uint32_t Crc32cUpdate(uint32_t crc, std::span<const uint8_t> data) {
  // crc32_iscsi neither pre- nor post-inverts: do both here.
  uint32_t reg = ~crc;
  while (!data.empty()) {
    const size_t n = std::min(data.size(), kIscsiChunk);
    // Not const-correct in ISA-L's prototype; it only reads.
    reg = crc32_iscsi(const_cast<uint8_t*>(data.data()), static_cast<int>(n), reg);
    data = data.subspan(n);
  }
  return ~reg;
}

uint64_t Crc64NvmeUpdate(uint64_t crc, std::span<const uint8_t> data) {
  // canonical=true: crcutil inverts start and result, so chaining results works as for zlib.
  if (data.empty()) return crc;
  return Crc64Nvme().CrcDefault(data.data(), data.size(), crc);
}

}  // namespace flashstor::hash

namespace flashstor::hash {

uint32_t Crc32Combine(uint32_t crc_a, uint32_t crc_b, uint64_t length_b) {
  return static_cast<uint32_t>(Crc32Math().Base().Concatenate(crc_a, crc_b, length_b));
}

uint32_t Crc32cCombine(uint32_t crc_a, uint32_t crc_b, uint64_t length_b) {
  return static_cast<uint32_t>(Crc32cMath().Base().Concatenate(crc_a, crc_b, length_b));
}

uint64_t Crc64NvmeCombine(uint64_t crc_a, uint64_t crc_b, uint64_t length_b) {
  return Crc64Nvme().Base().Concatenate(crc_a, crc_b, length_b);
}

}  // namespace flashstor::hash
