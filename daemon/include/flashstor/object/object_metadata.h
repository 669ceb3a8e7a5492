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
  std::string data_dir;  // uuid; empty for inline objects
  std::string upload_id;  // the multipart upload it was completed from, if any
  bool inlined = false;
  std::string inline_data;  // this drive's shard bytes (only when decoded with the tail)
};

// Header + optional NUL + inline tail.
std::string EncodeObjectMeta(const ObjectMeta& meta);
// Accepts the header alone (listing) or header + tail. kCorrupt when malformed.
Result<ObjectMeta> DecodeObjectMeta(std::string_view raw);

// True when a and b are the same version (mod time, ETag and data dir agree).
bool SameVersion(const ObjectMeta& a, const ObjectMeta& b);

// The version a quorum agrees on: index of a member of the biggest group of identical
// versions with at least k (its erasure.data) members, ties to the newest; nullopt when no
// group reaches its k. Null entries are drives without (readable) metadata. GET and listing
// share this rule, so a listing never shows what a GET cannot read.
std::optional<size_t> PickQuorumVersion(std::span<const ObjectMeta* const> metas);

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
