// BucketMetadataStore: majority writes of the bucket records, newest-record reads, the cache.
#include "flashstor/object/bucket_metadata_store.h"

#include <algorithm>
#include <optional>

#include "drive_fan_out.h"
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
    : shared_drives_(std::make_shared<const std::vector<std::shared_ptr<storage::StorageApi>>>(
          drives.begin(), drives.end())),
      pool_(pool),
      stragglers_(std::make_shared<WorkerPool::Stragglers>(drives.size())) {
  for (const auto& d : *shared_drives_) drives_.push_back(d.get());
}

Status BucketMetadataStore::create(const RequestContext& ctx, const BucketMetadata& meta) {
  forget(meta.name);
  Status s = store(ctx, meta);
  if (s.ok()) cache(std::make_shared<const BucketMetadata>(meta));
  BumpAuthzEpoch();
  return s;
}

std::shared_ptr<const BucketMetadata> BucketMetadataStore::cached(std::string_view bucket) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = cache_.find(std::string(bucket));
  return it != cache_.end() ? it->second : nullptr;
}

Result<std::shared_ptr<const BucketMetadata>> BucketMetadataStore::get(const RequestContext& ctx,
                                                                       std::string_view bucket) {
  uint64_t generation = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = cache_.find(std::string(bucket));
    if (it != cache_.end()) return it->second;
    generation = generation_;
  }
  auto meta = load(ctx, bucket);
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

Status BucketMetadataStore::update(const RequestContext& ctx, std::string_view bucket,
                                   const std::function<Status(BucketMetadata&)>& change) {
  // From the drives, not the cache: an update must build on the newest record.
  auto meta = load(ctx, bucket);
  if (!meta) return meta.error();
  FS_RETURN_IF_ERROR(change(*meta));
  meta->updated_ns = std::max(meta->updated_ns + 1, internal::NowNs());
  forget(bucket);
  Status s = store(ctx, *meta);
  if (s.ok()) cache(std::make_shared<const BucketMetadata>(std::move(*meta)));
  // Even a failed store may have reached some drives: decisions are re-made either way.
  BumpAuthzEpoch();
  return s;
}

void BucketMetadataStore::remove(const RequestContext& ctx, std::string_view bucket) {
  forget(bucket);
  // At a majority, as the records are written: a drive that keeps the record is outvoted by
  // the record of a bucket created later under the name (newer), and read by nothing else.
  (void)internal::QuorumFanOut(
      {pool_, drives_, stragglers_}, ctx,
      [file = RecordFile(bucket), drives = shared_drives_](size_t d) {
        storage::StorageApi* drive = (*drives)[d].get();
        if (drive == nullptr) return false;
        Status s = drive->delete_path(storage::kSysVolume, storage::kBucketsKey, file, false);
        return s.ok() || s == Code::kFileNotFound;
      },
      write_quorum(), nullptr, nullptr);
  BumpAuthzEpoch();
}

Result<BucketMetadata> BucketMetadataStore::load(const RequestContext& ctx,
                                                 std::string_view bucket) {
  // Each drive's record, or the volume's creation time where it has none. The tasks may
  // outlive this call (a drive that hangs), so what they fill is shared with them; only
  // answered drives' slots are read.
  struct RecordReads {
    explicit RecordReads(size_t n) : read(n, 0), found(n), created_ns(n, 0) {}
    std::vector<char> read;  // the drive answered (with its record or without one)
    std::vector<std::optional<BucketMetadata>> found;
    std::vector<int64_t> created_ns;  // drives without a record: the volume's creation time
  };
  const size_t n = drives_.size();
  auto reads = std::make_shared<RecordReads>(n);
  const std::vector<char> answered = internal::QuorumFanOut(
      {pool_, drives_, stragglers_}, ctx,
      [reads, name = std::string(bucket), drives = shared_drives_](size_t d) {
        storage::StorageApi* drive = (*drives)[d].get();
        if (drive == nullptr) return false;
        auto raw = drive->read_all(storage::kSysVolume, storage::kBucketsKey, RecordFile(name));
        if (!raw) {
          if (raw.error() != Code::kFileNotFound) return false;
          // A bucket without a record (created by hand): its folder says when.
          if (auto v = drive->stat_volume(name)) reads->created_ns[d] = v->created_ns;
          reads->read[d] = 1;
          return true;
        }
        auto meta = DecodeBucketMetadata(name, *raw);
        if (!meta) return false;
        reads->found[d] = std::move(*meta);
        reads->read[d] = 1;
        return true;
      },
      read_needed(), nullptr, nullptr);
  std::optional<BucketMetadata> newest;
  int64_t created_ns = 0;
  size_t answers = 0;
  for (size_t d = 0; d < n; ++d) {
    if (!answered[d] || reads->read[d] == 0) continue;
    std::optional<BucketMetadata>& f = reads->found[d];
    ++answers;
    if (f && (!newest || f->updated_ns > newest->updated_ns)) newest = std::move(f);
    if (created_ns == 0) created_ns = reads->created_ns[d];
  }
  if (newest) return std::move(*newest);
  // No record among fewer drives than a majority's complement: one may be on the others.
  if (answers < read_needed()) return Err(Code::kReadQuorum, "bucket record has no read quorum");
  BucketMetadata meta;
  meta.name = std::string(bucket);
  meta.created_ns = created_ns;
  return meta;
}

Status BucketMetadataStore::store(const RequestContext& ctx, const BucketMetadata& meta) {
  const size_t n = drives_.size();
  // At a majority (write_quorum()): a drive that misses the record is outvoted by the
  // majority's newer one at every read (read_needed() answers always include one of them).
  auto answers = std::make_shared<std::vector<Status>>(n);
  const std::vector<char> answered = internal::QuorumFanOut(
      {pool_, drives_, stragglers_}, ctx,
      [answers, file = RecordFile(meta.name), record = EncodeBucketMetadata(meta),
       drives = shared_drives_](size_t d) {
        storage::StorageApi* drive = (*drives)[d].get();
        if (drive == nullptr) return false;
        (*answers)[d] = drive->write_all(storage::kSysVolume, storage::kBucketsKey, file, record);
        return (*answers)[d].ok();
      },
      write_quorum(), nullptr, nullptr);
  std::vector<Status> result(n, Status(Code::kDiskNotFound, "drive offline"));
  for (size_t d = 0; d < n; ++d) {
    if (drives_[d] == nullptr) continue;
    result[d] =
        answered[d] ? (*answers)[d] : Status(Code::kDiskNotFound, "drive did not answer in time");
  }
  Status s = internal::ReduceErrors(result, static_cast<int>(write_quorum()), Code::kWriteQuorum);
  return s.ok() ? s : internal::ToObjectStatus(s);
}

void BucketMetadataStore::cache(std::shared_ptr<const BucketMetadata> meta) {
  std::lock_guard<std::mutex> lock(mu_);
  ++generation_;
  cache_[meta->name] = std::move(meta);
}

}  // namespace flashstor::object
