// Bitrot digests of shard blocks: CRC-64/XZ (ISA-L crc64_ecma_refl) followed by CRC-32C
// (ISA-L crc32_iscsi), both big-endian. The byte layout is an on-disk format.
#include "flashstor/erasure/bitrot.h"

#include <isa-l/crc.h>
#include <isa-l/crc64.h>

#include <algorithm>

namespace flashstor::erasure {
namespace {

// crc32_iscsi takes an int length; feed it in chunks well below INT_MAX.
constexpr size_t kCrc32cChunk = size_t{1} << 30;

uint32_t Crc32c(std::span<const uint8_t> data) {
  uint32_t crc = 0xFFFFFFFFu;
  while (!data.empty()) {
    const size_t n = std::min(data.size(), kCrc32cChunk);
    // ISA-L's prototype is not const-correct; it only reads the buffer.
    crc = crc32_iscsi(const_cast<uint8_t*>(data.data()), static_cast<int>(n), crc);
    data = data.subspan(n);
  }
  return crc ^ 0xFFFFFFFFu;
}

}  // namespace

BitrotDigest BitrotHash(std::span<const uint8_t> block) {
  // init 0: ISA-L inverts before and after, giving the standard CRC-64/XZ.
  const uint64_t crc64 = crc64_ecma_refl(0, block.data(), block.size());
  const uint32_t crc32c = Crc32c(block);
  BitrotDigest d{};
  for (size_t i = 0; i < 8; ++i) d[i] = static_cast<uint8_t>(crc64 >> (56 - 8 * i));
  for (size_t i = 0; i < 4; ++i) d[8 + i] = static_cast<uint8_t>(crc32c >> (24 - 8 * i));
  return d;
}

bool BitrotVerify(std::span<const uint8_t> block, const BitrotDigest& expected) {
  return BitrotHash(block) == expected;
}

}  // namespace flashstor::erasure
