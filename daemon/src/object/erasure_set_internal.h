// Private structures and helpers shared by ErasureSet's source files.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "flashstor/meta/version_journal.h"
#include "flashstor/object/erasure_set.h"
#include "flashstor/storage/meta_file.h"

// Like FS_RETURN_IF_ERROR, for functions returning Result<T>.
#define FS_RETURN_UNEXPECTED_IF_ERROR(expr)                   \
  do {                                                        \
    ::flashstor::Status fs_status_ = (expr);                  \
    if (!fs_status_.ok()) return std::unexpected(fs_status_); \
  } while (0)

namespace flashstor::object {

// One decode per drive, nothing copied: the winner is the copy a drive holding it decoded.
struct ErasureSet::MetaQuorum {
  size_t winner = 0;                                 // a drive holding the winning version
  std::vector<std::optional<ObjectMeta>> per_drive;  // decoded, with inline data
  std::vector<bool> in_quorum;                       // drive holds the winner
  // Drive holds the winner and nothing else, in a current-format file (needs no tidying).
  std::vector<bool> sole;
  std::vector<Status> errors;  // per drive: Ok, kFileNotFound, ...
  int members = 0;
  // The key's versions, newest first (LiveVersions): the winner is one of them.
  std::vector<VersionKey> live;
  // The newest mod time of any drive's record of the winner (same version id, ETag and data
  // dir): an in-place update cut short leaves a newer record on fewer than k drives, which
  // the next update must not take the identity of.
  int64_t newest_record_ns = 0;
  // The winning version, with the winner drive's inline data and erasure index.
  const ObjectMeta& meta() const { return *per_drive[winner]; }
};

struct ErasureSet::CommitPlan {
  std::string bucket;
  std::string key;
  std::vector<bool> participate;  // drives taking part
  std::vector<ObjectMeta> meta;   // the new version as each drive stores it (empty: none)
  // The key's versions that stay behind the new one: each drive keeps its own copies of
  // them (in the order it holds them) and drops the rest, with their data dirs, once the
  // commit is on a write quorum. Until then a drive keeps what it dropped behind, as a
  // fallback for a commit cut short (MustKeep).
  std::vector<VersionKey> keep;
  // Data dir to move into the object directory as %d.<data_dir>; empty src_file: none.
  std::string src_volume, src_key, src_file;
  std::string data_dir;
  int write_quorum = 1;
  // An in-place update of one version (ErasureSet::update_version): meta[d] replaces, at
  // its position in each drive's list, the version `replaces` names; every other version
  // stays and no data dir moves or goes. Where a cut-short update could leave neither record
  // on k drives, the old record stays right behind the new one until the write quorum.
  // keep and src_* are unused.
  bool in_place = false;
  VersionKey replaces;
  // The fencing token of the key's write lock the commit runs under (Locker::Guard::fence);
  // commit refuses it (kDeadlineExceeded) once it is stale. 0: not checked.
  uint64_t fence = 0;
};

namespace internal {

// An upload whose object gets a FULL_OBJECT checksum carries this pair in its metadata
// (UploadMeta has no field for it); Complete removes it from the object's metadata. No
// client header can produce the name: only x-amz-meta-* and standard headers are stored.
inline constexpr std::string_view kFullObjectChecksumKey = "%checksum-type";
inline constexpr std::string_view kFullObjectChecksumValue = "FULL_OBJECT";

struct WrittenData {
  uint64_t size = 0;
  bool inlined = false;
  std::vector<std::string> inline_shards;  // by shard index, when inlined
  std::vector<bool> wrote;                 // per drive: holds a complete, fsynced shard file
};

// One part of an upload as the drives report it.
struct PartQuorum {
  PartMeta meta;
  std::vector<bool> on_drive;  // drive holds this exact part
};

// Files of an upload directory (kSysVolume, "multipart/<sha256>/<upload id>").
inline constexpr std::string_view kUploadFile = "upload.json";
inline constexpr std::string_view kUploadDataDir = "data";
std::string PartMetaFile(int part_number);  // "part.N.json"

int64_t NowNs();

// A fresh version id (a random UUID: URL-safe, as opaque as AWS's).
std::string NewVersionId();
// Whether id can name a version ("null" or what NewVersionId makes: bounded, URL-safe).
bool ValidVersionId(std::string_view id);

// Ok when at least quorum drives succeeded; else the most frequent error if it reached
// quorum (e.g. kVolumeNotFound); else kDiskFull for a kWriteQuorum that full drives cost;
// else quorum_code.
Status ReduceErrors(const std::vector<Status>& errors, int quorum, Code quorum_code);

// Maps drive-level codes to object-level ones (kVolumeNotFound -> kNoSuchBucket, ...).
Status ToObjectStatus(const Status& s);

// S3 bucket naming rules (3..63 chars, lowercase, digits, '.', '-').
bool IsValidBucketName(std::string_view bucket);

using storage::MetaFile;  // a drive's %m.bin, or its legacy %m.json
using storage::ReadMetaFile;
// Logs, once per process, that a drive holds metadata of a newer major format version.
void WarnNewerFormat(std::string_view bucket, std::string_view key);
// Removes the legacy %m.json once %m.bin replaces it (a leftover is harmless: %m.bin wins).
void DropLegacyMeta(storage::StorageApi& drive, std::string_view bucket, std::string_view key);

// Resource names for the namespace lock. Lock order: upload, then key, then bucket; the
// bucket lock is held only around a commit's drive writes and by DeleteBucket, which takes
// no other lock while holding it (docs/concurrency.md, "Locks and their order").
std::string ObjectResource(std::string_view bucket, std::string_view key);
std::string BucketResource(std::string_view bucket);

}  // namespace internal
}  // namespace flashstor::object
