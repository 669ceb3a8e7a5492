// Per-drive object metadata (%m.json) and multipart records: the structs and their JSON
// codec (cJSON). %m.json = JSON header {"format":1,"versions":[...]}, then, for inline
// objects, a NUL byte and this drive's shard bytes (digest + shard per block).
// 64-bit times are JSON strings (doubles would lose nanoseconds).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "flashstor/common/status.h"
#include "flashstor/hash/hashing_source.h"
#include "flashstor/object/object_layer.h"

namespace flashstor::object {

inline constexpr int kMetaFormat = 1;

struct ErasureInfo {
  int data = 1;
  int parity = 0;
  uint64_t block_size = 1u << 20;
  int index = 0;                  // 1-based shard index this drive holds
  std::vector<int> distribution;  // distribution[d] = 1-based shard index of set drive d
};

struct PartMeta {
  int number = 0;
  uint64_t size = 0;
  uint64_t actual_size = 0;
  std::string etag;
  int64_t mod_time_ns = 0;
  std::string checksum_b64;
};

struct ObjectMeta {
  std::string version_id = "null";
  int64_t mod_time_ns = 0;
  uint64_t size = 0;
  std::string etag;
  std::string content_type;
  std::string storage_class = "STANDARD";
  Metadata metadata;
  hash::ChecksumAlgo checksum_algo = hash::ChecksumAlgo::kNone;
  std::string checksum_b64;
  ErasureInfo erasure;
  std::vector<PartMeta> parts;
  std::string data_dir;   // uuid; empty for inline objects
  std::string upload_id;  // the multipart upload it was completed from, if any
  bool inlined = false;
  std::string inline_data;  // this drive's shard bytes (only when decoded with the tail)
};

// One drive's %m.json: its versions, current first. Normally just one; a commit keeps the
// versions the drive held before behind the new one until the new one is on a write
// quorum (ErasureSet::commit), so an interrupted commit can always fall back to them.
using MetaVersions = std::vector<ObjectMeta>;
inline constexpr size_t kMaxKeptVersions = 4;

// JSON header {"format":1,"versions":[...]}; when any version is inline, a NUL and then
// each version's inline bytes in order (each version records its inline_size).
std::string EncodeMetaVersions(std::span<const ObjectMeta> versions);
// Accepts the header alone (listing: inline data left empty) or header + tail. kCorrupt
// when malformed, empty, longer than kMaxKeptVersions or the tail does not add up.
Result<MetaVersions> DecodeMetaVersions(std::string_view raw);

// A file holding one version / the current version of a file.
std::string EncodeObjectMeta(const ObjectMeta& meta);
Result<ObjectMeta> DecodeObjectMeta(std::string_view raw);

// True when a and b are the same version (mod time, ETag and data dir agree).
bool SameVersion(const ObjectMeta& a, const ObjectMeta& b);

// What the S3 layer sees.
ObjectInfo ToObjectInfo(const ObjectMeta& meta, std::string_view bucket, std::string_view key);

struct UploadMeta {
  std::string bucket;
  std::string key;
  std::string upload_id;
  int64_t initiated_ns = 0;
  std::string content_type;
  std::string storage_class = "STANDARD";
  Metadata metadata;
  hash::ChecksumAlgo checksum_algo = hash::ChecksumAlgo::kNone;
  ErasureInfo erasure;  // index unused (0): each drive's index comes from distribution
};

std::string EncodeUploadMeta(const UploadMeta& meta);
Result<UploadMeta> DecodeUploadMeta(std::string_view raw);
std::string EncodePartMeta(const PartMeta& part);
Result<PartMeta> DecodePartMeta(std::string_view raw);

}  // namespace flashstor::object
