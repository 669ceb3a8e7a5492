// BucketMetadataStore: keeps every bucket's settings record (bucket_metadata.h) on every drive
// of the engine, in kSysVolume/buckets/<bucket>.json, written with a majority of the drives
// and read back by taking the newest record among the drives that answer (at least enough to
// meet every majority). Both are quorum fan-outs settled by the request's deadline, so a
// drive that hangs holds neither (drive_fan_out.h). Records are cached in memory;
// this process is the only writer of its drives, so the cache is exact (a cluster will add
// invalidation from its peers).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "flashstor/common/status.h"
#include "flashstor/object/bucket_metadata.h"
#include "flashstor/object/request_context.h"
#include "flashstor/object/worker_pool.h"
#include "flashstor/storage/storage_api.h"

namespace flashstor::object {

class BucketMetadataStore {
 public:
  BucketMetadataStore(std::span<const std::shared_ptr<storage::StorageApi>> drives,
                      WorkerPool& pool);

  // Writes a new bucket's record (replacing a stale one of an earlier bucket of that name).
  Status create(const RequestContext& ctx, const BucketMetadata& meta);
  // The bucket's record; the caller checked that the bucket exists. A bucket without any
  // record (created by hand on the drives) gets defaults with the volume's creation time.
  // kReadQuorum when too few drives answered in time to know the newest record.
  Result<std::shared_ptr<const BucketMetadata>> get(const RequestContext& ctx,
                                                    std::string_view bucket);
  // The cached record, or nullptr (no disk access).
  std::shared_ptr<const BucketMetadata> cached(std::string_view bucket);
  // Read, change, write back. The caller serialises updates of one bucket (a lock).
  Status update(const RequestContext& ctx, std::string_view bucket,
                const std::function<Status(BucketMetadata&)>& change);
  // Forgets and removes the record (DeleteBucket).
  void remove(const RequestContext& ctx, std::string_view bucket);

 private:
  Result<BucketMetadata> load(const RequestContext& ctx, std::string_view bucket);
  Status store(const RequestContext& ctx, const BucketMetadata& meta);
  size_t write_quorum() const { return drives_.size() / 2 + 1; }
  // Answers that meet every write quorum: the newest record is among them.
  size_t read_needed() const { return drives_.size() - write_quorum() + 1; }
  void cache(std::shared_ptr<const BucketMetadata> meta);
  // Drops the cached record and starts a new generation (a change is under way).
  void forget(std::string_view bucket);

  // The drives, shared with the fan-outs' tasks (which may outlive a call), and as the
  // fan-outs take them.
  std::shared_ptr<const std::vector<std::shared_ptr<storage::StorageApi>>> shared_drives_;
  std::vector<storage::StorageApi*> drives_;
  WorkerPool& pool_;
  std::shared_ptr<WorkerPool::Stragglers> stragglers_;  // per drive
  std::mutex mu_;
  std::unordered_map<std::string, std::shared_ptr<const BucketMetadata>> cache_;
  uint64_t generation_ = 0;  // under mu_: bumped by every change, so a slower read never
                             // caches a record older than the change's
};

}  // namespace flashstor::object
