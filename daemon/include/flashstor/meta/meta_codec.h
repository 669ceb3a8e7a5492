// The binary codec of one drive's object metadata file (%m.bin): every version of the key
// the drive keeps, each a record of tagged fields, then the versions' inline shard bytes.
//
// Layout (all fixed-width integers little-endian):
//   preamble, 16 bytes: magic "FSMD", major version (1), minor version, 2 reserved bytes,
//     u32 length of the record section, u32 CRC-32 (zlib's) of the record section.
//     kMetaPreambleSize / kMetaRecordsLenOffset name these bytes, so a drive's walk reads
//     the preamble and the records and never the inline data.
//   records: fields, each = varint tag, varint length, value. At the top level tag 1 is one
//     version (a nested record), newest first, at most kMaxFileVersions.
//   tail: each version's inline shard bytes in version order (its field inline_size).
// Values: unsigned integers as a LEB128 varint filling the field exactly, signed ones
// zigzag-encoded, booleans 0/1, strings raw, records nested fields. A field a record lacks
// has its default (meta_codec.cc lists tags and defaults); writers omit defaults.
// Compatibility: a reader skips tags it does not know (a newer minor version adds fields
// that way) and refuses a newer major version. Every length is checked against the bytes
// left, so no input can make the decoder read out of bounds or allocate beyond its size.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "flashstor/common/status.h"
#include "flashstor/meta/object_meta.h"

namespace flashstor::object {

inline constexpr std::string_view kMetaMagic = "FSMD";
inline constexpr uint8_t kMetaMajor = 1;
inline constexpr uint8_t kMetaMinor = 0;
inline constexpr size_t kMetaPreambleSize = 16;
inline constexpr size_t kMetaRecordsLenOffset = 8;  // u32, little-endian

// True when raw starts with the binary magic (else it may be a legacy JSON file).
bool IsBinaryMeta(std::string_view raw);

std::string EncodeBinaryMeta(std::span<const ObjectMeta> versions);

// kNotImplemented for a newer major version (written by a newer release: unsupported, not
// damaged). kCorrupt otherwise, with a message that says which check failed: truncated, bad
// magic, checksum mismatch, malformed or inconsistent record, inline bytes that do not add up
// (kFull).
Result<MetaVersions> DecodeBinaryMeta(std::string_view raw, MetaDecode mode = MetaDecode::kFull);

}  // namespace flashstor::object
