// CRCs behind the S3 checksum algorithms, as chainable updates: start from 0 and pass the
// previous result back in; the value after the last update is the standard checksum.
#pragma once

#include <cstdint>
#include <span>

namespace flashstor::hash {

// CRC-32/ISO-HDLC (zlib crc32; check "123456789" = 0xCBF43926), ISA-L crc32_gzip_refl.
uint32_t Crc32Update(uint32_t crc, std::span<const uint8_t> data);
// CRC-32C/Castagnoli (check 0xE3069283), ISA-L crc32_iscsi.
uint32_t Crc32cUpdate(uint32_t crc, std::span<const uint8_t> data);
// CRC-64/NVME (check 0xAE8B14860A799888), crcutil's table-driven GenericCrc.
uint64_t Crc64NvmeUpdate(uint64_t crc, std::span<const uint8_t> data);

// The CRC of A followed by B from crc(A), crc(B) and B's length, without the data (crcutil's
// GF(2) arithmetic, as zlib's crc32_combine): full-object checksums of multipart uploads.
uint32_t Crc32Combine(uint32_t crc_a, uint32_t crc_b, uint64_t length_b);
uint32_t Crc32cCombine(uint32_t crc_a, uint32_t crc_b, uint64_t length_b);
uint64_t Crc64NvmeCombine(uint64_t crc_a, uint64_t crc_b, uint64_t length_b);

}  // namespace flashstor::hash
