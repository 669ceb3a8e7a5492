// ErasureSet: one erasure set of 1..16 drives; does the real work of the object layer for
// the keys routed to it (ErasureSets routes by CRC32 of the key and merges listings).
//
// Design
// - Objects: k data + m parity shards (m from the set's default or the storage class).
//   Shard index per drive = distribution[d], the identity rotated by CRC32(key) so parity
//   spreads over drives. Each part's shard file (part.N) is a sequence of blocks, each a
//   12-byte bitrot digest followed by ceil(block_bytes / k) bytes of the shard.
// - On-disk: <bucket>/<KeyToPath(key)>/%m.bin and <...>/%d.<uuid>/part.N. Objects smaller
//   than the inline threshold carry their shard after the records of %m.bin (no data dir).
//   A %m.json a previous release wrote is read where no %m.bin exists; the next commit or
//   heal of the key replaces it (MetaQuorum::sole is false for it, so a GET queues a heal).
// - PUT: the body is read a block at a time and encoded; shards are written in parallel (the
//   engine's WorkerPool) to .flashstor.sys/tmp/<uuid>/part.1 while the next block is read. At
//   EOF (the HashingSource verified its digests) the files are fsynced, then, under the key's
//   write lock, every drive renames tmp/<uuid> into the object dir as %d.<uuid> and atomically
//   replaces %m.bin with the new version in front of the versions it held. Success needs
//   the write quorum (k, k + 1 when k == m); then each drive's file is rewritten to the new
//   version alone and old data dirs go. Otherwise the committed drives are rolled back (old
//   %m.bin restored, new data dir moved back) and kWriteQuorum is returned. A crash at any
//   point leaves a state the version quorum rule reads as the old or the new object.
// - Fan-outs of GET, HEAD and PUT return at quorum (WorkerPool::run_quorum): a drive that
//   does not answer in time is read around or left out of the object (and healed), and its
//   call finishes on its own without holding the request (docs/design.md, "Fan-out at
//   quorum").
// - GET: %m.bin from every drive, decoded once each and moved, never copied, into the
//   reader; PickVersion (version_quorum.h) chooses the newest version held by k drives,
//   skipping dangling ones (kNoSuchKey when none is left, kReadQuorum when a version may
//   have been acknowledged behind offline drives). The reader keeps the key's
//   read lock until it has handed out the last byte of its range, so no overwrite deletes
//   the data dirs of later parts or of parity shards it may still open; blocks are read from
//   k drives, every shard block's digest verified, failures switch to other drives and
//   reconstruct. Drives that disagree, fail or keep other versions are queued for healing.
// - Multipart: .flashstor.sys/multipart/<sha256(bucket/key)>/<upload id>/{upload.json,
//   part.N.json, data/part.N}; complete hard-links the listed parts into a staged data dir
//   and commits it like a PUT; the object records the upload id, so an upload left behind
//   by a crash after the commit is recognised as completed.
// - Heal: verify every shard block on every drive, rebuild what is missing or corrupt into
//   tmp, then commit only on the damaged drives under the write lock if the object did not
//   change meanwhile; then settle: files that keep other versions are rewritten to the
//   winner alone and unreferenced data dirs removed. A key whose versions are all dangling
//   is deleted from every drive.
// Thread-safe; every method blocks on drives and must run on a worker thread.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "flashstor/mem/shard_buffer.h"
#include "flashstor/object/engine_config.h"
#include "flashstor/object/entry_stream.h"
#include "flashstor/object/heal_queue.h"
#include "flashstor/object/namespace_lock.h"
#include "flashstor/object/object_layer.h"
#include "flashstor/object/object_metadata.h"
#include "flashstor/object/worker_pool.h"
#include "flashstor/storage/storage_api.h"

namespace flashstor::object {

inline constexpr uint64_t kMaxObjectSize = 5ull << 40;  // 5 TiB
inline constexpr uint64_t kMaxPartSize = 5ull << 30;    // 5 GiB
inline constexpr uint64_t kMinPartSize = 5ull << 20;    // 5 MiB (all parts but the last)
inline constexpr int kMaxPartNumber = 10000;

struct VersionKey;  // meta/version_journal.h
namespace internal {
struct WrittenData;
struct PartQuorum;
}  // namespace internal

struct EngineCounters {
  std::atomic<uint64_t> objects_scanned{0};
  std::atomic<uint64_t> bytes_verified{0};
  std::atomic<uint64_t> shards_healed{0};
  std::atomic<uint64_t> objects_healed{0};
  std::atomic<uint64_t> heal_processed{0};
  std::atomic<uint64_t> scan_cycles{0};
  std::atomic<uint64_t> scan_cycle_objects{0};
  std::atomic<uint64_t> last_cycle_objects{0};
};

// Shared engine services a set uses (owned by ErasureSets).
struct EngineContext {
  EngineConfig config;
  WorkerPool* pool = nullptr;
  Locker* locks = nullptr;
  HealQueue* heal_queue = nullptr;
  EngineCounters* counters = nullptr;
};

class ErasureSet {
 public:
  // drives in slot order; null entries are offline drives.
  ErasureSet(int index, std::vector<std::shared_ptr<storage::StorageApi>> drives,
             int default_parity, const EngineContext& ctx);

  int index() const { return index_; }
  int drive_count() const { return static_cast<int>(drives_.size()); }
  int default_parity() const { return default_parity_; }
  int read_quorum() const { return drive_count() - default_parity_; }
  int bucket_write_quorum() const;
  const std::vector<storage::StorageApi*>& drives() const { return raw_; }

  // Buckets on this set's drives. make_bucket sets *existed when a quorum already had it.
  Status make_bucket(const RequestContext& ctx, std::string_view bucket, bool* existed);
  Status check_bucket(const RequestContext& ctx,
                      std::string_view bucket);  // Ok, kNoSuchBucket, kReadQuorum
  Status delete_bucket(const RequestContext& ctx, std::string_view bucket);
  // Each volume name with the number of this set's drives that hold it, among those that
  // answered in time (ListBuckets).
  std::map<std::string, int> count_buckets(const RequestContext& ctx);
  // Creates the bucket's volume on drives that lack it when a quorum has it.
  int heal_bucket(const RequestContext& ctx, std::string_view bucket);

  // versioning: the bucket's state (ErasureSets looks it up), for this and the other writes.
  Result<ObjectInfo> put_object(const RequestContext& ctx, std::string_view bucket,
                                std::string_view key, hash::HashingSource& body, int64_t size,
                                const PutOptions& opt,
                                VersioningState versioning = VersioningState::kUnversioned);
  Result<ObjectInfo> get_object_info(const RequestContext& ctx, std::string_view bucket,
                                     std::string_view key, std::string_view version_id = {},
                                     bool current_marker_ok = false);
  Result<std::unique_ptr<ObjectReader>> open_object(const RequestContext& ctx,
                                                    std::string_view bucket, std::string_view key,
                                                    std::string_view version_id = {});
  Result<DeleteResult> delete_object_version(const RequestContext& ctx, std::string_view bucket,
                                             std::string_view key, const DeleteOptions& options,
                                             VersioningState versioning);
  Status delete_object(const RequestContext& ctx, std::string_view bucket, std::string_view key,
                       const WritePrecondition& precondition = {});
  Result<ObjectInfo> update_object_metadata(const RequestContext& ctx, std::string_view bucket,
                                            std::string_view key, const PutOptions& opt);
  // ObjectLayer::update_version (erasure_set_version_update.cc).
  Result<ObjectInfo> update_version(const RequestContext& ctx, std::string_view bucket,
                                    std::string_view key, std::string_view version_id,
                                    const VersionUpdate& update);

  Result<std::string> new_multipart_upload(const RequestContext& ctx, std::string_view bucket,
                                           std::string_view key, const PutOptions& opt,
                                           hash::ChecksumAlgo algo);
  Result<PartInfo> put_object_part(const RequestContext& ctx, std::string_view bucket,
                                   std::string_view key, std::string_view upload_id,
                                   int part_number, hash::HashingSource& body, int64_t size,
                                   const PartOptions& options = {});
  Result<ListPartsResult> list_parts(const RequestContext& ctx, std::string_view bucket,
                                     std::string_view key, std::string_view upload_id,
                                     int part_marker, int max_parts);
  Result<ObjectInfo> complete_multipart_upload(
      const RequestContext& ctx, std::string_view bucket, std::string_view key,
      std::string_view upload_id, const std::vector<CompletePart>& parts,
      const WritePrecondition& precondition = {},
      VersioningState versioning = VersioningState::kUnversioned);
  Status abort_multipart_upload(const RequestContext& ctx, std::string_view bucket,
                                std::string_view key, std::string_view upload_id);
  // This set's uploads in bucket with key >= key_marker (upload id > upload_id_marker when
  // key == key_marker) and key starting with prefix, sorted by (key, initiated, id); at
  // most limit (+1 so the caller can tell truncation).
  Result<std::vector<MultipartUpload>> list_uploads(
      const RequestContext& ctx, std::string_view bucket, std::string_view prefix,
      std::string_view key_marker, std::string_view upload_id_marker, size_t limit);

  // Sorted merge of the drives' walks (see list_merge.h).
  Result<std::unique_ptr<EntryStream>> walk(std::string_view bucket,
                                            const storage::WalkOptions& options,
                                            bool any_version = false, bool all_versions = false);

  // sweep: reached by a walk of the bucket (admin bucket heal, the scanner) rather than
  // named by the caller; data dirs of a key without metadata then wait out the grace period.
  HealResult heal_object(const RequestContext& ctx, std::string_view bucket, std::string_view key,
                         bool sweep = false);

  // A drive re-formatted in place of a wiped one is refilling until a full scan healed
  // the set: a key it lacks may have been on it, so its "not found" counts as unknown, never
  // as absent. Otherwise drives that merely came up empty (an unmounted disk's mount point)
  // could turn acknowledged objects into dangling ones, which heal would purge.
  void set_refilling(size_t drive, bool refilling);
  bool refilling(size_t drive) const { return refilling_[drive].load(std::memory_order_relaxed); }

  // Implementation details shared by this set's source files.
  struct MetaQuorum;
  struct CommitPlan;

 private:
  ErasureInfo new_erasure(std::string_view key, std::string_view storage_class) const;
  // version_id: that version (kNoSuchVersion); empty: the current one, which may be a
  // delete marker (kNoSuchKey: the key has no version).
  Result<MetaQuorum> read_meta(const RequestContext& ctx, std::string_view bucket,
                               std::string_view key, bool queue_heal,
                               std::string_view version_id = {});
  // Call under the key's write lock, before a commit that adds a version with id new_id
  // (replacing the key's version of that id, if any): the versions that stay behind it.
  // kInvalidRequest past kMaxVersions; a key that cannot be read fails the write, unless the
  // bucket never had versioning (the new version then replaces whatever the drives hold).
  Result<std::vector<VersionKey>> versions_to_keep(const RequestContext& ctx,
                                                   std::string_view bucket, std::string_view key,
                                                   std::string_view new_id,
                                                   VersioningState versioning);
  // committed (optional): per drive, whether its commit_version succeeded (its staging
  // directory is gone with the move).
  Status commit(const RequestContext& ctx, const CommitPlan& plan,
                std::vector<char>* committed = nullptr);
  // Call under the key's write lock: Ok when the precondition holds for the key's current
  // object; kPreconditionFailed, kNoSuchKey (If-Match on an absent key) or a read error.
  Status check_precondition(const RequestContext& ctx, std::string_view bucket,
                            std::string_view key, const WritePrecondition& precondition);
  Result<internal::WrittenData> write_data(const RequestContext& ctx, hash::HashingSource& body,
                                           int64_t size, uint64_t max_size,
                                           const ErasureInfo& erasure, const std::string& tmp_key,
                                           const std::string& file, bool allow_inline);
  // write_data's two ways of filling a stripe: encode(len, lead, stripe) makes the stripe's
  // shards of the len bytes just read, each `lead` bytes into its buffer
  // (internal::ShardWriters::lead); read_next(len, written, lead, stripe) reads the next block
  // (into the stripe's data shards, at that block's lead, or a buffer of its own) while the
  // drives write this one, and returns its length (0: the body has ended).
  // last(len, written): whether the block of len bytes, which brings the body to `written`
  // bytes, is its last (known before the next read: an announced length, or the read that
  // brought it hit the body's end); the drives then close their files with its writes.
  struct StripeSteps {
    std::function<Status(size_t, size_t, std::vector<mem::ShardBuffer>&)> encode;
    std::function<Result<size_t>(size_t, uint64_t, size_t, std::vector<mem::ShardBuffer>&)>
        read_next;
    std::function<bool(size_t, uint64_t)> last;
  };
  // Streams a body, len bytes of which are read already, to the drives' shard files stripe
  // by stripe, each step at the write quorum (erasure_set_write.cc).
  Result<internal::WrittenData> write_stripes(const RequestContext& ctx, const ErasureInfo& erasure,
                                              const std::string& tmp_key, const std::string& file,
                                              uint64_t max_size, size_t len,
                                              const StripeSteps& steps);
  // Removes a kSysVolume directory (temp data, an upload) on every drive, or only on those
  // skip does not mark.
  void remove_sys_dir(const std::string& tmp_key, const std::vector<char>* skip = nullptr);
  // Removes the key from the drives (StorageApi::delete_key), at the bucket's write quorum;
  // every_drive (heal's purge): waits for every drive, within fan_out_all's bound. removed
  // (optional): drives that held metadata for the key.
  Status delete_unlocked(const RequestContext& ctx, std::string_view bucket, std::string_view key,
                         int* removed = nullptr, bool every_drive = false);
  // heal_object's steps (erasure_set_heal.cc).
  // The quorum says the key is absent: under its write lock, removes what a cut-short write
  // or delete left (see erasure_set_heal.cc); fills r.status and r.leftovers_removed.
  void purge_absent(const RequestContext& ctx, std::string_view bucket, std::string_view key,
                    bool sweep, HealResult& r);
  // Data dirs at least grace_seconds old in a key no drive has metadata for; removed
  // (optional): drives it removed something from. Caller holds the write lock.
  void purge_uncommitted(std::string_view bucket, std::string_view key, int64_t grace_seconds,
                         int* removed);
  std::vector<bool> verify_shards(const RequestContext& ctx, const MetaQuorum& q,
                                  std::string_view bucket, std::string_view key);
  // Under the write lock, if meta still wins: rewrites drives that keep other versions
  // beside it to meta alone, and removes data dirs no metadata refers to.
  void settle(const RequestContext& ctx, const ObjectMeta& meta, std::string_view bucket,
              std::string_view key);
  // version_id: the version q was read for (empty: the current one). staged: the uuid of
  // the data dir rebuilt as tmp/<staged> (rebuild_shards); moved[d] is set on each drive
  // whose tmp/<staged> was renamed in.
  Result<int> commit_healed(const RequestContext& ctx, const ObjectMeta& meta,
                            const std::string& staged, const std::vector<bool>& ok,
                            const std::vector<std::string>& inline_out, std::string_view bucket,
                            std::string_view key, std::string_view version_id,
                            std::vector<char>& moved);
  Result<int> rebuild_shards(const RequestContext& ctx, const MetaQuorum& q,
                             const std::vector<bool>& bad, std::string_view bucket,
                             std::string_view key, std::string_view version_id = {});
  // The key's other versions (current.live): shards verified block by block, each rebuilt
  // onto the online drives whose shards are damaged or whose metadata lacks it.
  void heal_noncurrent(const RequestContext& ctx, const MetaQuorum& current,
                       std::string_view bucket, std::string_view key, HealResult& r);
  void queue_heal(std::string_view bucket, std::string_view key);
  Result<std::string> upload_key(std::string_view bucket, std::string_view key,
                                 std::string_view upload_id) const;
  Result<UploadMeta> read_upload(const RequestContext& ctx, const std::string& ukey);
  Result<std::vector<internal::PartQuorum>> read_parts(const RequestContext& ctx,
                                                       const std::string& ukey,
                                                       const UploadMeta& upload, int part_marker,
                                                       size_t limit);
  Status choose_parts(const RequestContext& ctx, const std::string& ukey, const UploadMeta& upload,
                      const std::vector<CompletePart>& want, std::vector<PartMeta>& chosen,
                      std::vector<bool>& participate);
  // True when the object's quorum metadata says it was completed from this upload (a crash
  // hit between commit and the upload's removal); removes the leftover upload.
  bool upload_completed(const RequestContext& ctx, const UploadMeta& upload,
                        const std::string& ukey);
  // A Complete of an upload that no longer exists: the key's current object when it was
  // completed from upload_id with the same part list (a repeated Complete answers the first
  // one's result, as AWS does), else `missing`. Takes the key's read lock; call holding the
  // upload lock.
  Result<ObjectInfo> completed_before(const RequestContext& ctx, std::string_view bucket,
                                      std::string_view key, std::string_view upload_id,
                                      const std::vector<CompletePart>& want, Status missing);
  Status commit_part(const RequestContext& ctx, const std::string& ukey, const std::string& tmp_key,
                     const std::string& tmp_file, const PartMeta& part, const UploadMeta& upload,
                     const std::vector<bool>& wrote);

  // A quorum fan-out over the set's drives, settled by ctx.deadline at the latest
  // (WorkerPool::run_quorum: fn must reach nothing
  // on the caller's stack, nor this set; it gets the drives from shared_drives()). Returns
  // when `needed` tasks succeeded (or cannot) plus the grace; answered[d] tells whose
  // results may be read. A drive with a call of an earlier fan-out still stuck is skipped
  // (fn does not run for it, answered[d] is false) while the others can reach `needed`.
  // taking_part (optional): the drives fn does work for (the others answer at once).
  // attempt (optional): fn's non-blocking try on the caller's thread (QuorumPolicy::attempt).
  std::vector<char> fan_out(const RequestContext& ctx, std::function<bool(size_t)> fn,
                            size_t needed, const std::vector<bool>* taking_part = nullptr,
                            std::function<WorkerPool::Attempt(size_t)> attempt = nullptr) const;
  // A step every usable drive takes (cleanup, rollback, tidying after a commit): waits for
  // all of them, but at most kCleanupMaxWait for a drive that starts to hang in it. Not
  // bounded by the request's deadline: a rollback or cleanup finishes even for a request
  // that ran out of time, and kCleanupMaxWait already bounds it.
  std::vector<char> fan_out_all(std::function<bool(size_t)> fn) const;
  // A fan_out of one call per drive: step(drive, d) on every online drive taking part (all
  // when taking_part is null), each succeeding when `counts` says so of its answer (null:
  // Ok). step may outlive the call like fn above: it captures by value. Returns every drive's
  // answer: kDiskNotFound for an offline slot or one not taking part, and for one that did
  // not answer in time.
  using DriveStep = std::function<Status(storage::StorageApi&, size_t)>;
  std::vector<Status> fan_out_steps(const RequestContext& ctx, DriveStep step, size_t needed,
                                    const std::vector<bool>* taking_part = nullptr,
                                    bool (*counts)(const Status&) = nullptr) const;
  // The answers a read fan-out waits for: read quorum + 1 (as the metadata read of a GET),
  // at most every drive.
  size_t read_needed() const;
  // taking_part without the drives that still have a call of an earlier fan-out running,
  // unless that leaves fewer than `needed`: Complete's drives, as a part commit that missed
  // its quorum may still change the part files (fixed names) Complete links on its drive.
  std::vector<bool> without_stragglers(std::vector<bool> taking_part, size_t needed) const;
  using SharedDrives = std::shared_ptr<const std::vector<std::shared_ptr<storage::StorageApi>>>;
  const SharedDrives& shared_drives() const { return shared_drives_; }

  int index_;
  std::vector<std::shared_ptr<storage::StorageApi>> drives_;
  std::vector<storage::StorageApi*> raw_;
  int default_parity_;
  EngineContext ctx_;
  std::unique_ptr<std::atomic<bool>[]> refilling_;
  SharedDrives shared_drives_;  // drives_, for tasks that may outlive a request
  std::shared_ptr<WorkerPool::Stragglers> stragglers_;  // per drive
};

}  // namespace flashstor::object
