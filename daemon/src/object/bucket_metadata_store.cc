// BucketMetadataStore: majority writes of the bucket records, newest-record reads, the cache.
#include "flashstor/object/bucket_metadata_store.h"

#include <algorithm>
#include <optional>

#include "erasure_set_internal.h"
#include "flashstor/common/authz_epoch.h"

namespace flashstor::object {
namespace {

std::string RecordFile(std::string_view bucket) {
  return std::string(bucket) + ".json";
}

}  // namespace

BucketMetadataStore::BucketMetadataStore(
    std::span<const std::shared_ptr<storage::StorageApi>> drives, WorkerPool& pool)
    : drives_(drives.begin(), drives.end()), pool_(pool) {}

Status BucketMetadataStore::create(const BucketMetadata& meta) {
  forget(meta.name);
  Status s = store(meta);
  if (s.ok()) cache(std::make_shared<const BucketMetadata>(meta));
  BumpAuthzEpoch();
  return s;
}

std::shared_ptr<const BucketMetadata> BucketMetadataStore::cached(std::string_view bucket) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = cache_.find(std::string(bucket));
  return it != cache_.end() ? it->second : nullptr;
}

Result<std::shared_ptr<const BucketMetadata>> BucketMetadataStore::get(std::string_view bucket) {
  uint64_t generation = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = cache_.find(std::string(bucket));
    if (it != cache_.end()) return it->second;
    generation = generation_;
  }
  auto meta = load(bucket);
  if (!meta) return std::unexpected(meta.error());
  auto shared = std::make_shared<const BucketMetadata>(std::move(*meta));
  // A change that began while this read was on the drives may have cached its newer record
  // already: a record read before it must not replace that one.
  std::lock_guard<std::mutex> lock(mu_);
  if (generation_ == generation) cache_[shared->name] = shared;
  return shared;
}

void BucketMetadataStore::forget(std::string_view bucket) {
  std::lock_guard<std::mutex> lock(mu_);
  cache_.erase(std::string(bucket));
  ++generation_;
}

Status BucketMetadataStore::update(std::string_view bucket,
                                   const std::function<Status(BucketMetadata&)>& change) {
  // From the drives, not the cache: an update must build on the newest record.
  auto meta = load(bucket);
  if (!meta) return meta.error();
  FS_RETURN_IF_ERROR(change(*meta));
  meta->updated_ns = std::max(meta->updated_ns + 1, internal::NowNs());
  forget(bucket);
  Status s = store(*meta);
  if (s.ok()) cache(std::make_shared<const BucketMetadata>(std::move(*meta)));
  // Even a failed store may have reached some drives: decisions are re-made either way.
  BumpAuthzEpoch();
  return s;
}

void BucketMetadataStore::remove(std::string_view bucket) {
  forget(bucket);
  const std::string file = RecordFile(bucket);
  pool_.run(drives_.size(), [&](size_t d) {
    if (drives_[d] != nullptr) {
      (void)drives_[d]->delete_path(storage::kSysVolume, storage::kBucketsKey, file, false);
    }
  });
  BumpAuthzEpoch();
}

Result<BucketMetadata> BucketMetadataStore::load(std::string_view bucket) {
  const std::string file = RecordFile(bucket);
  std::vector<std::optional<BucketMetadata>> found(drives_.size());
  pool_.run(drives_.size(), [&](size_t d) {
    if (drives_[d] == nullptr) return;
    auto raw = drives_[d]->read_all(storage::kSysVolume, storage::kBucketsKey, file);
    if (!raw) return;
    if (auto meta = DecodeBucketMetadata(bucket, *raw)) found[d] = std::move(*meta);
  });
  std::optional<BucketMetadata> newest;
  for (auto& f : found) {
    if (f && (!newest || f->updated_ns > newest->updated_ns)) newest = std::move(f);
  }
  if (newest) return std::move(*newest);
  BucketMetadata meta;
  meta.name = std::string(bucket);
  for (const auto& drive : drives_) {
    if (drive == nullptr) continue;
    if (auto v = drive->stat_volume(bucket)) {
      meta.created_ns = v->created_ns;
      break;
    }
  }
  return meta;
}

Status BucketMetadataStore::store(const BucketMetadata& meta) {
  const std::string record = EncodeBucketMetadata(meta);
  const std::string file = RecordFile(meta.name);
  std::vector<Status> result(drives_.size(), Status(Code::kDiskNotFound, "drive offline"));
  pool_.run(drives_.size(), [&](size_t d) {
    if (drives_[d] != nullptr) {
      result[d] = drives_[d]->write_all(storage::kSysVolume, storage::kBucketsKey, file, record);
    }
  });
  const int quorum = static_cast<int>(drives_.size() / 2 + 1);
  Status s = internal::ReduceErrors(result, quorum, Code::kWriteQuorum);
  return s.ok() ? s : internal::ToObjectStatus(s);
}

void BucketMetadataStore::cache(std::shared_ptr<const BucketMetadata> meta) {
  std::lock_guard<std::mutex> lock(mu_);
  ++generation_;
  cache_[meta->name] = std::move(meta);
}

}  // namespace flashstor::object
