// Bitrot protection: a checksum per shard block, written beside it and verified on every
// read. Algorithm: HighwayHash is not in Debian; we use ISA-L's CRC64 (ECMA-182 reflected,
// hardware-accelerated with PCLMUL) combined with CRC32C into 96 bits: fast (> 10 GB/s), and any
// single flipped bit and any burst < 64 bits is always detected.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace flashstor::erasure {

inline constexpr size_t kBitrotDigestSize = 12;
using BitrotDigest = std::array<uint8_t, kBitrotDigestSize>;

BitrotDigest BitrotHash(std::span<const uint8_t> block);
// Constant-time compare is not needed (not a secret), but the check must be exact.
bool BitrotVerify(std::span<const uint8_t> block, const BitrotDigest& expected);

}  // namespace flashstor::erasure
