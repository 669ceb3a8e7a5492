// ErasureSets: the ObjectLayer implementation. Routes each key to its set (CRC32 % sets),
// keeps buckets on every drive of every set, merges listings across sets, and owns the
// engine's shared services (EngineServices: worker pool, namespace locks, heal queue) and its
// background services (BackgroundHealer, Scanner, DriveProber: their own files). OpenEngine is the
// factory main() calls.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "flashstor/object/background_healer.h"
#include "flashstor/object/bucket_metadata_store.h"
#include "flashstor/object/drive_prober.h"
#include "flashstor/object/engine_config.h"
#include "flashstor/object/engine_services.h"
#include "flashstor/object/erasure_set.h"
#include "flashstor/object/object_layer.h"
#include "flashstor/object/scanner.h"
#include "flashstor/object/stop_signal.h"
#include "flashstor/object/trash_collector.h"
#include "flashstor/storage/storage_api.h"

namespace flashstor::object {

// Drives that came back online, reported by their health monitors (any thread) and taken by
// the heal thread. Shared with the monitors' callbacks, which may outlive the engine.
struct DriveEvents {
  std::mutex mu;
  bool changed = false;
  std::vector<size_t> reformatted;  // slots of empty replacements formatted into place
  // Marks a slot refilling at once (before the drive serves); cleared by ~ErasureSets.
  std::function<void(size_t)> refill;
};

class ErasureSets final : public ObjectLayer {
 public:
  // drives: set_count * set_size drives in slot order (null: offline). Does not start the
  // background threads (see start_background).
  ErasureSets(std::vector<std::shared_ptr<storage::StorageApi>> drives, int set_count, int parity,
              const EngineConfig& config);
  ~ErasureSets() override;  // stops and joins the background threads

  // Drives (slot numbers) re-formatted in place of wiped ones: refilling (ErasureSet::
  // set_refilling) until the first full scan pass has healed them.
  void mark_refilling(const std::vector<size_t>& slots);
  // Where a drive's health monitor reports that it rejoined (see DriveEvents).
  const std::shared_ptr<DriveEvents>& drive_events() const { return drive_events_; }
  // Drives in slot order (null: offline for good), as given to the constructor.
  const std::vector<std::shared_ptr<storage::StorageApi>>& drives() const { return drives_; }
  // Starts the heal-queue drainer and (if the rate > 0) the scanner. full_scan_now: run one
  // unthrottled scan pass first (a wiped drive was re-formatted and must be refilled).
  void start_background(bool full_scan_now);
  void stop_background();
  // Whether OpenEngine re-formatted a wiped drive, so that the first start_background must
  // run the full scan: for a caller that opens with background = false (the daemon starts the
  // background threads once it serves).
  bool reformatted_at_open() const { return reformatted_at_open_; }
  void set_reformatted_at_open(bool reformatted) { reformatted_at_open_ = reformatted; }

  EngineStats stats() const;
  // Per-drive traffic and failures (drives in slot order; offline drives are skipped).
  struct DriveUsage {
    std::string endpoint;
    uint64_t bytes_read = 0, bytes_written = 0, operations = 0, errors = 0;
  };
  std::vector<DriveUsage> drive_usage() const;
  int set_count() const { return static_cast<int>(sets_.size()); }
  ErasureSet& set(int i) { return *sets_[static_cast<size_t>(i)]; }
  ErasureSet& set_for(std::string_view key);
  HealQueue& heal_queue() { return services_.heal_queue; }
  Locker& locks() { return services_.locks; }  // tests: hold a key's lock ("bucket/key")
  const WorkerPool& io_pool() const { return *services_.pool; }  // tests, metrics
  // One scan pass over every bucket and object (verify + heal); returns objects scanned.
  uint64_t scan_once(double objects_per_second) { return scanner_.scan_once(objects_per_second); }

  Status make_bucket(const RequestContext& ctx, std::string_view bucket,
                     const MakeBucketOptions& options = {}) override;
  Result<BucketInfo> get_bucket_info(const RequestContext& ctx, std::string_view bucket) override;
  Result<std::vector<BucketInfo>> list_buckets(const RequestContext& ctx,
                                               const BucketListOptions& options = {}) override;
  Status delete_bucket(const RequestContext& ctx, std::string_view bucket) override;
  Result<std::shared_ptr<const BucketMetadata>> get_bucket_metadata(
      const RequestContext& ctx, std::string_view bucket) override;
  Status update_bucket_metadata(const RequestContext& ctx, std::string_view bucket,
                                const std::function<Status(BucketMetadata&)>& change) override;

  Result<ObjectInfo> put_object(const RequestContext& ctx, std::string_view bucket,
                                std::string_view key, hash::HashingSource& body, int64_t size,
                                const PutOptions& options) override;
  Result<ObjectInfo> get_object_info(const RequestContext& ctx, std::string_view bucket,
                                     std::string_view key, std::string_view version_id = {},
                                     bool current_marker_ok = false) override;
  Result<std::unique_ptr<ObjectReader>> open_object(const RequestContext& ctx,
                                                    std::string_view bucket, std::string_view key,
                                                    std::string_view version_id = {}) override;
  Result<DeleteResult> delete_object_version(const RequestContext& ctx, std::string_view bucket,
                                             std::string_view key,
                                             const DeleteOptions& options) override;
  Status delete_object(const RequestContext& ctx, std::string_view bucket, std::string_view key,
                       const WritePrecondition& precondition = {}) override;
  Result<ObjectInfo> update_object_metadata(const RequestContext& ctx, std::string_view bucket,
                                            std::string_view key,
                                            const PutOptions& options) override;
  Result<ObjectInfo> update_version(const RequestContext& ctx, std::string_view bucket,
                                    std::string_view key, std::string_view version_id,
                                    const VersionUpdate& update) override;
  Result<ListResult> list_objects(const RequestContext& ctx, std::string_view bucket,
                                  const ListOptions& options) override;

  Result<std::string> new_multipart_upload(const RequestContext& ctx, std::string_view bucket,
                                           std::string_view key, const PutOptions& options,
                                           hash::ChecksumAlgo checksum_algo) override;
  Result<PartInfo> put_object_part(const RequestContext& ctx, std::string_view bucket,
                                   std::string_view key, std::string_view upload_id,
                                   int part_number, hash::HashingSource& body, int64_t size,
                                   const PartOptions& options = {}) override;
  Result<ListPartsResult> list_parts(const RequestContext& ctx, std::string_view bucket,
                                     std::string_view key, std::string_view upload_id,
                                     int part_marker, int max_parts) override;
  Result<ObjectInfo> complete_multipart_upload(const RequestContext& ctx, std::string_view bucket,
                                               std::string_view key, std::string_view upload_id,
                                               const std::vector<CompletePart>& parts,
                                               const WritePrecondition& precondition = {}) override;
  Status abort_multipart_upload(const RequestContext& ctx, std::string_view bucket,
                                std::string_view key, std::string_view upload_id) override;
  Result<ListUploadsResult> list_multipart_uploads(const RequestContext& ctx,
                                                   std::string_view bucket,
                                                   const ListUploadsOptions& options) override;

  HealResult heal_object(const RequestContext& ctx, std::string_view bucket,
                         std::string_view key) override;
  Status heal_objects(const RequestContext& ctx, std::string_view bucket,
                      const std::function<bool(const HealResult&)>& each) override;

 private:
  Status check_names(std::string_view bucket, std::string_view key);
  Status check_bucket_empty(std::string_view bucket);  // kBucketNotEmpty if an object is left
  void abort_uploads(const RequestContext& ctx,
                     std::string_view bucket);  // every upload of the bucket, any set
  // The bucket's versioning state (cached settings); kNoSuchBucket.
  Result<VersioningState> versioning_of(const RequestContext& ctx, std::string_view bucket);

  EngineConfig config_;
  std::vector<std::shared_ptr<storage::StorageApi>> drives_;
  EngineServices services_;
  std::vector<std::unique_ptr<ErasureSet>> sets_;
  std::unique_ptr<BucketMetadataStore> bucket_meta_;
  std::shared_ptr<DriveEvents> drive_events_ = std::make_shared<DriveEvents>();
  StopSignal stop_;
  bool reformatted_at_open_ = false;
  DriveProber prober_;
  Scanner scanner_;
  BackgroundHealer healer_;
  TrashCollector trash_collector_;
};

// Opens the drives (LocalDisk), loads or creates their format records (storage/format.h),
// builds the sets, cleans temp files and starts the background threads. Logs the layout
// and every offline drive. Errors name the offending drive in the log (and *detail).
Result<std::unique_ptr<ErasureSets>> OpenEngine(std::span<const std::string> drive_paths,
                                                const EngineConfig& config,
                                                std::string* detail = nullptr);

}  // namespace flashstor::object
