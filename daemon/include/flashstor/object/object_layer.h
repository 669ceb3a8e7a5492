// ObjectLayer: the storage engine as the S3 layer sees it (MinIO's object-api-interface).
// Buckets, objects, listing and multipart; implementations route keys to erasure sets, take
// namespace locks and read/write metadata with quorum. Every method is thread-safe and may
// block on disk: call from worker threads only. Errors use object codes (kNoSuchKey, ...).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "flashstor/common/data_stream.h"
#include "flashstor/common/status.h"
#include "flashstor/hash/hashing_source.h"
#include "flashstor/meta/object_types.h"
#include "flashstor/object/bucket_metadata.h"
#include "flashstor/object/request_context.h"

namespace flashstor::object {

struct MakeBucketOptions {
  // x-amz-bucket-object-lock-enabled: the bucket starts versioned with object lock on.
  bool object_lock_enabled = false;
};

struct BucketInfo {
  std::string name;
  int64_t created_ns = 0;  // CLOCK_REALTIME
};

// Which buckets list_buckets returns, in name order: names that start with prefix and sort
// after start_after (exclusive; empty: from the first), at most limit of them (0: no limit).
struct BucketListOptions {
  std::string prefix;
  std::string start_after;
  size_t limit = 0;
};

struct PartInfo {
  int number = 0;
  std::string etag;  // hex, no quotes
  uint64_t size = 0;
  int64_t mod_time_ns = 0;
  std::string checksum_b64;  // of the part, when the upload has a checksum algorithm
};

struct ObjectInfo {
  std::string bucket;
  std::string key;
  std::string etag;          // hex MD5, or "<hex>-N" for multipart; no quotes
  std::string version_id;    // empty: unversioned ("null")
  uint64_t size = 0;         // the client's bytes (plaintext of an encrypted object)
  uint64_t stored_size = 0;  // the bytes stored (ciphertext of an encrypted object)
  int64_t mod_time_ns = 0;
  std::string content_type;
  std::string storage_class = "STANDARD";
  // Stored request headers returned on GET/HEAD: x-amz-meta-*, content-encoding,
  // content-disposition, content-language, cache-control, expires (lowercase names).
  Metadata metadata;
  hash::ChecksumAlgo checksum_algo = hash::ChecksumAlgo::kNone;
  std::string checksum_b64;     // whole object, or composite "<b64>-N" for multipart
  std::vector<PartInfo> parts;  // for multipart objects (size per part), empty otherwise
  Metadata tags;                // object tags (S3 tagging), in the order they were given
  bool delete_marker = false;   // a delete marker (versioned buckets): no data
  bool is_latest = true;        // the key's current version (version listings)
  ObjectLock lock;              // object lock retention and legal hold
};

// A conditional write or delete (AWS conditional requests). The object layer evaluates it
// against the key's current object under the key's write lock, right before the commit, so
// the check and the write are one atomic step.
struct WritePrecondition {
  // If-None-Match: * -- kPreconditionFailed when the key exists.
  bool if_none_match_any = false;
  // If-Match: "*" (the key exists) or one ETag without quotes; empty: no condition.
  // kNoSuchKey when the key is absent, kPreconditionFailed when the ETag differs.
  std::string if_match;
  bool empty() const { return !if_none_match_any && if_match.empty(); }
};

struct PutOptions {
  std::string content_type;
  std::string storage_class = "STANDARD";
  Metadata metadata;
  int64_t mod_time_ns = 0;  // 0: now
  WritePrecondition precondition;
  // Multipart only: the object's checksum is the CRC of its whole data (AWS FULL_OBJECT,
  // combined from the parts' CRCs at Complete) instead of the COMPOSITE "<b64>-N".
  bool full_object_checksum = false;
  // Object tags (validated by the S3 layer). update_object_metadata replaces the stored
  // tags with these too.
  Metadata tags;
  // Transformed data (server-side encryption): the body given to put_object is not what the
  // client sent. When set, the object's size and checksum (and its ETag when
  // etag_from_plaintext) come from this source of the client's bytes, which the body has
  // read to its end by the time put_object commits.
  const hash::HashingSource* plaintext = nullptr;
  bool etag_from_plaintext = true;
  // Object lock of the new version (validated by the S3 layer: the bucket has object lock).
  ObjectLock lock;
};

// A part's transformed data (server-side encryption): body is not what the client sent. The
// part's size (PartInfo::size, its actual size), checksum (and its ETag when
// etag_from_plaintext) then come from this source of the client's bytes.
struct PartOptions {
  const hash::HashingSource* plaintext = nullptr;
  bool etag_from_plaintext = true;
};

// An in-place change of one version's metadata (update_version): only what is set changes;
// data, ETag and Last-Modified stay.
struct VersionUpdate {
  std::optional<Metadata> tags;
  // New retention (mode kNone: none). COMPLIANCE retention is never shortened, removed or
  // turned into GOVERNANCE; shortening or removing GOVERNANCE needs bypass_governance
  // (kAccessDenied otherwise). Extending is always allowed. legal_hold is ignored here.
  std::optional<ObjectLock> retention;
  std::optional<bool> legal_hold;
  bool bypass_governance = false;
};

// A delete as versioning sees it (delete_object_version).
struct DeleteOptions {
  WritePrecondition precondition;
  // The version to remove for good (a delete marker too). Empty: the bucket's versioning
  // state decides -- Enabled: a delete marker with a fresh id hides the current version;
  // Suspended: a delete marker becomes the "null" version (replacing the null one);
  // never configured: the object is removed.
  std::string version_id;
  // x-amz-bypass-governance-retention (the S3 layer checked s3:BypassGovernanceRetention):
  // a version under GOVERNANCE retention may be removed. Legal holds and COMPLIANCE
  // retention always protect a version (kAccessDenied).
  bool bypass_governance = false;
};

struct DeleteResult {
  bool delete_marker = false;  // a marker was added, or the version removed was one
  std::string version_id;      // of the marker added or the version removed
};

// Pull-based reader of one object's bytes (or a range of them).
class ObjectReader : public DataSource {
 public:
  virtual const ObjectInfo& info() const = 0;
  // Restricts reading to [offset, offset + length). Call before the first read();
  // offset + length <= info().size (the caller validated the range).
  virtual void set_range(uint64_t offset, uint64_t length) = 0;
  // Whether lend() works: the reader keeps the bytes it reads in buffers of its own (the
  // erasure reader's verified data shards), so a GET can send them without copying.
  virtual bool lends_buffers() const { return false; }
  // Like read(), but hands out a view of the reader's own buffer instead of copying: at most
  // max bytes, empty at the end of the range, valid until the next call on the reader.
  // Only when lends_buffers(); the two may not be mixed on one reader.
  virtual Result<std::span<const char>> lend(size_t /*max*/) {
    return std::unexpected(Status(Code::kInternal, "this reader lends no buffers"));
  }
};

struct ListOptions {
  std::string prefix;
  std::string delimiter;    // "" or a delimiter string (usually "/")
  std::string start_after;  // exclusive: V1 marker, V2 start-after / continuation token
  int max_keys = 1000;      // 0..1000
  // ListObjectVersions: every version of each key (delete markers too), newest first;
  // start_after is then the key marker, and version_id_marker (with it) resumes inside
  // that key, after the version of that id. max_keys counts versions and prefixes.
  bool versions = false;
  std::string version_id_marker;
};

struct ListResult {
  std::vector<ObjectInfo> objects;  // sorted by key (UTF-8 byte order)
  std::vector<std::string> common_prefixes;
  bool truncated = false;
  std::string next_marker;             // last key or prefix returned, when truncated
  std::string next_version_id_marker;  // versions: of the last version returned ("null")
};

struct MultipartUpload {
  std::string key;
  std::string upload_id;
  int64_t initiated_ns = 0;
  std::string storage_class = "STANDARD";
  hash::ChecksumAlgo checksum_algo = hash::ChecksumAlgo::kNone;
  Metadata metadata;  // list_parts only: the upload's stored metadata (for the S3 layer's SSE)
};

struct ListUploadsOptions {
  std::string prefix, delimiter, key_marker, upload_id_marker;
  int max_uploads = 1000;
};

struct ListUploadsResult {
  std::vector<MultipartUpload> uploads;
  std::vector<std::string> common_prefixes;
  bool truncated = false;
  std::string next_key_marker, next_upload_id_marker;
};

struct ListPartsResult {
  MultipartUpload upload;
  std::vector<PartInfo> parts;
  bool truncated = false;
  int next_part_number_marker = 0;
};

struct CompletePart {
  int number = 0;
  std::string etag;  // as the client sent it (quotes stripped by the caller)
  std::string checksum_b64;
};

struct HealResult {
  std::string bucket, key;
  int shards_healed = 0;  // shard files rewritten
  int drives_missing = 0;
  Status status;
  // Drives whose leftovers of a write or delete that never completed were removed (the key
  // is absent: status kNoSuchKey).
  int leftovers_removed = 0;
};

class ObjectLayer {
 public:
  virtual ~ObjectLayer() = default;

  // Buckets. make_bucket: kBucketExists if present. delete_bucket: kBucketNotEmpty.
  virtual Status make_bucket(const RequestContext& ctx, std::string_view bucket,
                             const MakeBucketOptions& options = {}) = 0;
  virtual Result<BucketInfo> get_bucket_info(const RequestContext& ctx,
                                             std::string_view bucket) = 0;
  virtual Result<std::vector<BucketInfo>> list_buckets(const RequestContext& ctx,
                                                       const BucketListOptions& options = {}) = 0;
  virtual Status delete_bucket(const RequestContext& ctx, std::string_view bucket) = 0;
  // The bucket's settings (versioning, object lock, configuration documents); cheap (cached).
  // kNoSuchBucket.
  virtual Result<std::shared_ptr<const BucketMetadata>> get_bucket_metadata(
      const RequestContext& ctx, std::string_view bucket) = 0;
  // Changes the settings: change() edits a copy of the newest record (an error aborts the
  // update and is returned); the result is stored with write quorum. Updates of one bucket
  // are serialised. kNoSuchBucket.
  virtual Status update_bucket_metadata(const RequestContext& ctx, std::string_view bucket,
                                        const std::function<Status(BucketMetadata&)>& change) = 0;

  // Streams body to EOF (body verifies its digests at EOF), commits atomically with write
  // quorum. size is the announced length or -1 when unknown. ETag = body.md5_hex().
  // Writes (put, copy, complete) follow the bucket's versioning state: Enabled adds a
  // version with a fresh id (ObjectInfo::version_id), otherwise the "null" version is
  // replaced and the key's other versions stay.
  virtual Result<ObjectInfo> put_object(const RequestContext& ctx, std::string_view bucket,
                                        std::string_view key, hash::HashingSource& body,
                                        int64_t size, const PutOptions& options) = 0;
  // Metadata only (HEAD). kNoSuchKey / kNoSuchBucket.
  // version_id: that version ("null" included; kNoSuchVersion when absent, a delete marker
  // is returned as such); empty: the current version, kNoSuchKey when it is a delete
  // marker unless current_marker_ok (then the marker is returned: the S3 layer's 404 names
  // it in x-amz-delete-marker and x-amz-version-id).
  virtual Result<ObjectInfo> get_object_info(const RequestContext& ctx, std::string_view bucket,
                                             std::string_view key, std::string_view version_id = {},
                                             bool current_marker_ok = false) = 0;
  // Opens the object for reading; info() is already loaded. The version is resolved under the
  // key's read lock, which is released before the first data read: writers never wait for a
  // reader, and a reader keeps reading the version it resolved to its end even when an
  // overwrite or delete replaces it (its data dir waits in the trash, docs/concurrency.md).
  // version_id as for get_object_info; a delete marker cannot be opened: kNoSuchKey (the
  // current version) or kNoSuchVersion (by id; get_object_info tells it is a marker).
  virtual Result<std::unique_ptr<ObjectReader>> open_object(const RequestContext& ctx,
                                                            std::string_view bucket,
                                                            std::string_view key,
                                                            std::string_view version_id = {}) = 0;
  // Removes an object; deleting a missing key is not an error (S3 semantics) unless the
  // precondition asks for it to exist (kNoSuchKey).
  virtual Status delete_object(const RequestContext& ctx, std::string_view bucket,
                               std::string_view key,
                               const WritePrecondition& precondition = {}) = 0;
  // A delete as versioning sees it (DeleteOptions). Removing a version that does not exist
  // is not an error (S3 semantics). kInvalidArgument: a version id that no version can
  // have (AWS: "Invalid version id specified").
  virtual Result<DeleteResult> delete_object_version(const RequestContext& ctx,
                                                     std::string_view bucket, std::string_view key,
                                                     const DeleteOptions& options) = 0;
  // Replaces stored metadata without rewriting data (copy onto itself with REPLACE).
  virtual Result<ObjectInfo> update_object_metadata(const RequestContext& ctx,
                                                    std::string_view bucket, std::string_view key,
                                                    const PutOptions& options) = 0;

  // Changes one version's tags or object lock in place (VersionUpdate; data, ETag and
  // Last-Modified unchanged), with read and write quorum under the key's write lock, keeping
  // every other version. version_id empty: the current version. kNoSuchKey / kNoSuchVersion /
  // kNoSuchBucket; kMethodNotAllowed for a delete marker; kAccessDenied when the retention
  // change is not allowed (VersionUpdate).
  virtual Result<ObjectInfo> update_version(const RequestContext& ctx, std::string_view bucket,
                                            std::string_view key, std::string_view version_id,
                                            const VersionUpdate& update) = 0;

  virtual Result<ListResult> list_objects(const RequestContext& ctx, std::string_view bucket,
                                          const ListOptions& options) = 0;

  // Multipart.
  virtual Result<std::string> new_multipart_upload(const RequestContext& ctx,
                                                   std::string_view bucket, std::string_view key,
                                                   const PutOptions& options,
                                                   hash::ChecksumAlgo checksum_algo) = 0;
  // options.plaintext: the part is transformed (encrypted), as PutOptions::plaintext.
  virtual Result<PartInfo> put_object_part(const RequestContext& ctx, std::string_view bucket,
                                           std::string_view key, std::string_view upload_id,
                                           int part_number, hash::HashingSource& body, int64_t size,
                                           const PartOptions& options = {}) = 0;
  virtual Result<ListPartsResult> list_parts(const RequestContext& ctx, std::string_view bucket,
                                             std::string_view key, std::string_view upload_id,
                                             int part_marker, int max_parts) = 0;
  // Checks the part list (ascending, known parts, ETags match, all but last >= 5 MiB) and
  // stitches the parts into the object without copying data. ETag "<md5 of md5s>-N".
  // A failed precondition leaves the upload in place.
  virtual Result<ObjectInfo> complete_multipart_upload(
      const RequestContext& ctx, std::string_view bucket, std::string_view key,
      std::string_view upload_id, const std::vector<CompletePart>& parts,
      const WritePrecondition& precondition = {}) = 0;
  virtual Status abort_multipart_upload(const RequestContext& ctx, std::string_view bucket,
                                        std::string_view key, std::string_view upload_id) = 0;
  virtual Result<ListUploadsResult> list_multipart_uploads(const RequestContext& ctx,
                                                           std::string_view bucket,
                                                           const ListUploadsOptions& options) = 0;

  // Healing (erasure engine): rebuilds missing or corrupt shards and metadata.
  virtual HealResult heal_object(const RequestContext& ctx, std::string_view bucket,
                                 std::string_view key) = 0;
  // Heals every key of a bucket, including leftovers no listing shows (they are purged);
  // each(result) after every key, and returning false stops. kNoSuchBucket.
  virtual Status heal_objects(const RequestContext& ctx, std::string_view bucket,
                              const std::function<bool(const HealResult&)>& each) = 0;
};

}  // namespace flashstor::object
