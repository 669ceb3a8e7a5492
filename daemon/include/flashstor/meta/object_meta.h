// Per-drive object metadata and multipart records: the structs and their codecs. They sit
// below the storage seam (a drive decodes and rewrites its own metadata file when it commits
// a version, storage_api.h); what S3 sees of them is object/object_metadata.h. An object's versions
// live in %m.bin, a binary file (meta_codec.h) decoded once per drive and request; a %m.json the
// previous release wrote is still read (legacy JSON, meta_json.cc) and rewritten as %m.bin by the
// next write or heal of its key. Multipart records (UploadMeta, PartMeta) stay JSON: they are not
// on the GET path.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "flashstor/common/status.h"
#include "flashstor/hash/hashing_source.h"
#include "flashstor/meta/object_types.h"

namespace flashstor::object {

inline constexpr int kMetaFormat = 1;  // of the JSON files (uploads, parts, legacy %m.json)

struct ErasureInfo {
  int data = 1;
  int parity = 0;
  uint64_t block_size = 1u << 20;
  int index = 0;                  // 1-based shard index this drive holds
  std::vector<int> distribution;  // distribution[d] = 1-based shard index of set drive d
  bool operator==(const ErasureInfo&) const = default;
};

struct PartMeta {
  int number = 0;
  uint64_t size = 0;
  uint64_t actual_size = 0;
  std::string etag;
  int64_t mod_time_ns = 0;
  std::string checksum_b64;
  bool operator==(const PartMeta&) const = default;
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
  std::string inline_data;     // this drive's shard bytes (only when decoded with the tail)
  bool delete_marker = false;  // a delete marker: no data, no erasure layout, no parts
  Metadata tags;               // object tags in the order they were given
  RetentionMode retention_mode = RetentionMode::kNone;  // object lock (RetentionMode values
  int64_t retain_until_ns = 0;                          // are stored)
  bool legal_hold = false;
  // Transformed data (server-side encryption): the client's byte count; size is what is
  // stored. Absent for plain objects.
  std::optional<uint64_t> actual_size;
  bool operator==(const ObjectMeta&) const = default;
  ObjectLock lock() const { return {retention_mode, retain_until_ns, legal_hold}; }
  void set_lock(const ObjectLock& l) {
    retention_mode = l.mode;
    retain_until_ns = l.retain_until_ns;
    legal_hold = l.legal_hold;
  }
};

// One drive's metadata file: its versions, newest first. In a bucket that never had
// versioning just the "null" one; with versioning every version of the key (delete markers
// included). A commit that replaces a version (the "null" one) keeps it behind the new one
// until the new one is on a write quorum (ErasureSet::commit), so an interrupted commit can
// always fall back to it (LiveVersions leaves such fallbacks out).
using MetaVersions = std::vector<ObjectMeta>;
inline constexpr size_t kMaxKeptVersions = 4;  // the legacy JSON file's cap
// Versions one key may have (MinIO's default); a write beyond answers kInvalidRequest.
inline constexpr size_t kMaxVersions = 10000;
// Versions one file may hold: the key's versions and the replaced one a commit keeps.
inline constexpr size_t kMaxFileVersions = kMaxVersions + 1;

// How much of a metadata file to decode.
enum class MetaDecode {
  kFull,     // the whole file: records and exactly the inline bytes they announce
  kRecords,  // the records (what a walk returns: the inline bytes are not read); anything
             // after them is ignored and inline_data stays empty
  kListing,  // as kRecords, and parts, user metadata and tags are left empty (counted and
             // skipped): a listing page needs none of them
};

// The %m.bin bytes (meta_codec.h).
std::string EncodeMetaVersions(std::span<const ObjectMeta> versions);
// A %m.bin, or a legacy %m.json (recognised by its content). kCorrupt when malformed, empty,
// longer than kMaxFileVersions or the inline bytes do not add up (kFull); kNotImplemented
// when written by a newer major format version.
Result<MetaVersions> DecodeMetaVersions(std::string_view raw, MetaDecode mode = MetaDecode::kFull);

// A file holding one version / the current version of a file.
std::string EncodeObjectMeta(const ObjectMeta& meta);
Result<ObjectMeta> DecodeObjectMeta(std::string_view raw);

// True when a and b are the same version (mod time, ETag and data dir agree).
bool SameVersion(const ObjectMeta& a, const ObjectMeta& b);

struct UploadMeta {
  std::string bucket;
  std::string key;
  std::string upload_id;
  int64_t initiated_ns = 0;
  std::string content_type;
  std::string storage_class = "STANDARD";
  Metadata metadata;
  hash::ChecksumAlgo checksum_algo = hash::ChecksumAlgo::kNone;
  Metadata tags;        // x-amz-tagging of CreateMultipartUpload, given to the object
  ObjectLock lock;      // object lock headers of CreateMultipartUpload, given to the object
  ErasureInfo erasure;  // index unused (0): each drive's index comes from distribution
};

std::string EncodeUploadMeta(const UploadMeta& meta);
Result<UploadMeta> DecodeUploadMeta(std::string_view raw);
std::string EncodePartMeta(const PartMeta& part);
Result<PartMeta> DecodePartMeta(std::string_view raw);

}  // namespace flashstor::object
