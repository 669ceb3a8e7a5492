// ErasureSets: key routing, buckets across all sets, cross-set listing and upload listing.
#include "flashstor/object/erasure_sets.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <optional>
#include <string>

#include "erasure_set_internal.h"
#include "flashstor/object/list_merge.h"
#include "flashstor/object/set_layout.h"
#include "flashstor/obs/log.h"
#include "flashstor/obs/log_limiter.h"
#include "flashstor/storage/key_path.h"

namespace flashstor::object {
namespace {

// A quorum lost once the request's deadline had passed was lost to it: its fan-outs settled
// at the deadline with the drives that had answered (WorkerPool::QuorumPolicy::deadline).
// The answer is then the deadline's, kDeadlineExceeded (503 SlowDown, like a quorum failure,
// but saying why). One place for every object call of the router, so the sets' many quorum
// paths need not each know.
// Such failures are logged with the request's trace id (the S3 request id), so the line joins
// the request's audit record; at most one line a second, with the count of those held back.
// Likewise a quorum lost once the client had gone was lost to the cancel: kCancelled (the
// client is not there for an answer; the audit record says 499, client closed), logged at
// info, since nothing failed (also at most a line a second).
Status Deadlined(const RequestContext& ctx, std::string_view bucket, std::string_view key,
                 Status s) {
  const bool quorum = s == Code::kReadQuorum || s == Code::kWriteQuorum;
  if ((quorum || s == Code::kDeadlineExceeded) && ctx.cancelled()) {
    s = Status(Code::kCancelled, "client gone before a quorum answered");
  }
  if (s == Code::kCancelled) {
    static obs::LogLimiter cancels(std::chrono::seconds(1));
    cancels.log(
        obs::Level::kInfo, "object call cancelled: client gone",
        {{"TRACE_ID", ctx.trace_id}, {"BUCKET", bucket}, {"KEY", key}, {"DETAIL", s.message()}});
    return s;
  }
  if (quorum && ctx.expired()) {
    s = Status(Code::kDeadlineExceeded, "request deadline passed before a quorum answered");
  }
  // At most a line a second: in an outage every request fails here, and the audit log
  // already holds one record per request; the line says how many it stands for.
  static obs::LogLimiter limiter(std::chrono::seconds(1));
  if (quorum || s == Code::kDeadlineExceeded) {
    limiter.log(obs::Level::kWarning, "object call failed: no quorum in time",
                {{"TRACE_ID", ctx.trace_id},
                 {"BUCKET", bucket},
                 {"KEY", key},
                 {"ERROR", CodeName(s.code())},
                 {"DETAIL", s.message()}});
  }
  return s;
}
template <typename T>
Result<T> Deadlined(const RequestContext& ctx, std::string_view bucket, std::string_view key,
                    Result<T> r) {
  if (!r) return std::unexpected(Deadlined(ctx, bucket, key, r.error()));
  return r;
}

int DefaultThreads(size_t drives) {
  return static_cast<int>(std::clamp<size_t>(2 * drives, 4, 64));
}

}  // namespace

ErasureSets::ErasureSets(std::vector<std::shared_ptr<storage::StorageApi>> drives, int set_count,
                         int parity, const EngineConfig& config)
    : config_(config),
      drives_(std::move(drives)),
      services_(config.io_threads > 0 ? config.io_threads : DefaultThreads(drives_.size()),
                config.heal_queue_capacity,
                std::chrono::milliseconds(std::max<int64_t>(config.lock_lease_ms, 0))),
      prober_(drives_, *services_.pool),
      scanner_(*this, services_.counters, stop_, config.scan_objects_per_second),
      healer_(*this, services_.heal_queue, services_.counters, prober_, scanner_, drive_events_,
              stop_),
      trash_collector_(drives_, stop_, config.trash_grace_seconds) {
  config_.inline_threshold = std::min(config_.inline_threshold, config_.block_size);
  services_.pool->set_min_grace(
      std::chrono::milliseconds(std::max<int64_t>(config_.min_quorum_grace_ms, 0)));
  EngineContext ctx = services_.context(config_);
  const size_t size = drives_.size() / static_cast<size_t>(set_count);
  drive_events_->refill = [this](size_t slot) { mark_refilling({slot}); };
  for (int s = 0; s < set_count; ++s) {
    auto first = drives_.begin() + static_cast<std::ptrdiff_t>(s * size);
    std::vector<std::shared_ptr<storage::StorageApi>> set_drives(
        first, first + static_cast<std::ptrdiff_t>(size));
    sets_.push_back(std::make_unique<ErasureSet>(s, std::move(set_drives), parity, ctx));
  }
  bucket_meta_ = std::make_unique<BucketMetadataStore>(drives_, *services_.pool);
}

void ErasureSets::mark_refilling(const std::vector<size_t>& slots) {
  const size_t size = drives_.size() / sets_.size();
  for (size_t slot : slots) sets_[slot / size]->set_refilling(slot % size, true);
}

ErasureSet& ErasureSets::set_for(std::string_view key) {
  return *sets_[static_cast<size_t>(SetForKey(key, set_count()))];
}

Status ErasureSets::check_names(std::string_view bucket, std::string_view key) {
  if (!internal::IsValidBucketName(bucket)) return Status(Code::kInvalidBucketName, "bad bucket");
  return storage::ValidateObjectKey(key);
}

Status ErasureSets::make_bucket(const RequestContext& ctx, std::string_view bucket,
                                const MakeBucketOptions& options) {
  if (!internal::IsValidBucketName(bucket)) return Status(Code::kInvalidBucketName, "bad bucket");
  bool all_existed = true;
  for (auto& set : sets_) {
    bool existed = false;
    FS_RETURN_IF_ERROR(set->make_bucket(ctx, bucket, &existed));
    all_existed = all_existed && existed;
  }
  if (all_existed) return Status(Code::kBucketExists, "bucket exists");
  BucketMetadata meta;
  meta.name = std::string(bucket);
  meta.created_ns = meta.updated_ns = internal::NowNs();
  if (options.object_lock_enabled) {
    meta.object_lock_enabled = true;
    meta.versioning = VersioningState::kEnabled;
  }
  return bucket_meta_->create(ctx, meta);
}

Result<BucketInfo> ErasureSets::get_bucket_info(const RequestContext& ctx,
                                                std::string_view bucket) {
  if (!internal::IsValidBucketName(bucket)) return Err(Code::kInvalidBucketName, "bad bucket");
  if (Status s = sets_[0]->check_bucket(ctx, bucket); !s.ok()) return std::unexpected(s);
  auto meta = bucket_meta_->get(ctx, bucket);
  if (!meta) return std::unexpected(meta.error());
  return BucketInfo{std::string(bucket), (*meta)->created_ns};
}

Result<std::shared_ptr<const BucketMetadata>> ErasureSets::get_bucket_metadata(
    const RequestContext& ctx, std::string_view bucket) {
  if (!internal::IsValidBucketName(bucket)) return Err(Code::kInvalidBucketName, "bad bucket");
  // Cached records belong to buckets that exist: DeleteBucket drops them first.
  if (auto cached = bucket_meta_->cached(bucket)) return cached;
  if (Status s = sets_[0]->check_bucket(ctx, bucket); !s.ok()) return std::unexpected(s);
  return bucket_meta_->get(ctx, bucket);
}

Status ErasureSets::update_bucket_metadata(const RequestContext& ctx, std::string_view bucket,
                                           const std::function<Status(BucketMetadata&)>& change) {
  if (!internal::IsValidBucketName(bucket)) return Status(Code::kInvalidBucketName, "bad bucket");
  // Shared with commits (they only read the settings), exclusive with DeleteBucket.
  auto lock = services_.locks.lock(internal::BucketResource(bucket), false, ctx);
  if (!lock) return lock.error();
  auto config_lock =
      services_.locks.lock(internal::BucketResource(bucket) + "/settings", true, ctx);
  if (!config_lock) return config_lock.error();
  FS_RETURN_IF_ERROR(sets_[0]->check_bucket(ctx, bucket));
  return bucket_meta_->update(ctx, bucket, change);
}

Result<std::vector<BucketInfo>> ErasureSets::list_buckets(const RequestContext& ctx,
                                                          const BucketListOptions& options) {
  ErasureSet& set = *sets_[0];
  const std::map<std::string, int> votes = set.count_buckets(ctx);
  std::vector<BucketInfo> out;
  // Filter by name before get_bucket_info, which reads each bucket's record from the drives.
  for (auto it = votes.upper_bound(options.start_after); it != votes.end(); ++it) {
    const auto& [name, count] = *it;
    if (options.limit != 0 && out.size() >= options.limit) break;
    if (!name.starts_with(options.prefix)) {
      if (name > options.prefix) break;  // sorted: no later name has the prefix
      continue;
    }
    if (count < set.read_quorum() || !internal::IsValidBucketName(name)) continue;
    auto info = get_bucket_info(ctx, name);
    if (info) out.push_back(std::move(*info));
  }
  return out;
}

Status ErasureSets::check_bucket_empty(std::string_view bucket) {
  // S3: only objects keep a bucket alive; in-progress uploads are aborted with it.
  for (auto& set : sets_) {
    storage::WalkOptions opt;
    opt.read_metadata = true;
    auto stream = set->walk(bucket, opt);
    if (!stream) {
      if (stream.error() == Code::kNoSuchBucket) continue;
      return stream.error();
    }
    ListEntry e;
    auto more = (*stream)->next(e);
    if (!more) return more.error();
    if (*more) return Status(Code::kBucketNotEmpty, "bucket not empty");
  }
  return Status::Ok();
}

void ErasureSets::abort_uploads(const RequestContext& ctx, std::string_view bucket) {
  for (auto& set : sets_) {
    auto uploads = set->list_uploads(ctx, bucket, "", "", "", SIZE_MAX);
    if (!uploads) continue;
    for (const auto& u : *uploads) set->abort_multipart_upload(ctx, bucket, u.key, u.upload_id);
  }
}

Status ErasureSets::delete_bucket(const RequestContext& ctx, std::string_view bucket) {
  if (!internal::IsValidBucketName(bucket)) return Status(Code::kInvalidBucketName, "bad bucket");
  {
    // Exclusive from the emptiness check to the delete: no commit runs in between (each
    // takes the lock shared), and none can write afterwards (writes never re-create a
    // bucket's folder). Nothing else is locked while holding it, so no wait can cycle.
    auto lock = services_.locks.lock(internal::BucketResource(bucket), true, ctx);
    if (!lock) return lock.error();
    FS_RETURN_IF_ERROR(sets_[0]->check_bucket(ctx, bucket));
    FS_RETURN_IF_ERROR(check_bucket_empty(bucket));
    for (auto& set : sets_) FS_RETURN_IF_ERROR(set->delete_bucket(ctx, bucket));
    bucket_meta_->remove(ctx, bucket);
  }
  // After the lock: aborting takes the upload locks, which come before the bucket lock. A
  // complete racing this finds no bucket to commit into and fails with kNoSuchBucket.
  abort_uploads(ctx, bucket);
  return Status::Ok();
}

Result<VersioningState> ErasureSets::versioning_of(const RequestContext& ctx,
                                                   std::string_view bucket) {
  auto meta = get_bucket_metadata(ctx, bucket);
  if (!meta) return std::unexpected(meta.error());
  return (*meta)->versioning;
}

Result<ObjectInfo> ErasureSets::put_object(const RequestContext& ctx, std::string_view bucket,
                                           std::string_view key, hash::HashingSource& body,
                                           int64_t size, const PutOptions& options) {
  if (Status s = check_names(bucket, key); !s.ok()) return std::unexpected(s);
  auto versioning = versioning_of(ctx, bucket);
  if (!versioning) return std::unexpected(versioning.error());
  return Deadlined(ctx, bucket, key,
                   set_for(key).put_object(ctx, bucket, key, body, size, options, *versioning));
}

Result<ObjectInfo> ErasureSets::get_object_info(const RequestContext& ctx, std::string_view bucket,
                                                std::string_view key, std::string_view version_id,
                                                bool current_marker_ok) {
  if (Status s = check_names(bucket, key); !s.ok()) return std::unexpected(s);
  return Deadlined(ctx, bucket, key,
                   set_for(key).get_object_info(ctx, bucket, key, version_id, current_marker_ok));
}

Result<std::unique_ptr<ObjectReader>> ErasureSets::open_object(const RequestContext& ctx,
                                                               std::string_view bucket,
                                                               std::string_view key,
                                                               std::string_view version_id) {
  if (Status s = check_names(bucket, key); !s.ok()) return std::unexpected(s);
  return Deadlined(ctx, bucket, key, set_for(key).open_object(ctx, bucket, key, version_id));
}

Result<DeleteResult> ErasureSets::delete_object_version(const RequestContext& ctx,
                                                        std::string_view bucket,
                                                        std::string_view key,
                                                        const DeleteOptions& options) {
  if (Status s = check_names(bucket, key); !s.ok()) return std::unexpected(s);
  auto versioning = versioning_of(ctx, bucket);
  if (!versioning) return std::unexpected(versioning.error());
  return Deadlined(ctx, bucket, key,
                   set_for(key).delete_object_version(ctx, bucket, key, options, *versioning));
}

Status ErasureSets::delete_object(const RequestContext& ctx, std::string_view bucket,
                                  std::string_view key, const WritePrecondition& precondition) {
  FS_RETURN_IF_ERROR(check_names(bucket, key));
  auto versioning = versioning_of(ctx, bucket);
  if (!versioning) return versioning.error();
  if (*versioning != VersioningState::kUnversioned) {
    // Never the whole history: a delete marker hides the current version.
    DeleteOptions options;
    options.precondition = precondition;
    auto r = set_for(key).delete_object_version(ctx, bucket, key, options, *versioning);
    return r ? Status::Ok() : Deadlined(ctx, bucket, key, r.error());
  }
  return Deadlined(ctx, bucket, key, set_for(key).delete_object(ctx, bucket, key, precondition));
}

Result<ObjectInfo> ErasureSets::update_object_metadata(const RequestContext& ctx,
                                                       std::string_view bucket,
                                                       std::string_view key,
                                                       const PutOptions& options) {
  if (Status s = check_names(bucket, key); !s.ok()) return std::unexpected(s);
  return Deadlined(ctx, bucket, key,
                   set_for(key).update_object_metadata(ctx, bucket, key, options));
}

Result<ObjectInfo> ErasureSets::update_version(const RequestContext& ctx, std::string_view bucket,
                                               std::string_view key, std::string_view version_id,
                                               const VersionUpdate& update) {
  if (Status s = check_names(bucket, key); !s.ok()) return std::unexpected(s);
  return Deadlined(ctx, bucket, key,
                   set_for(key).update_version(ctx, bucket, key, version_id, update));
}

Result<ListResult> ErasureSets::list_objects(const RequestContext& ctx, std::string_view bucket,
                                             const ListOptions& options) {
  if (!internal::IsValidBucketName(bucket)) return Err(Code::kInvalidBucketName, "bad bucket");
  storage::WalkOptions walk;
  walk.prefix = options.prefix;
  walk.start_after = options.versions ? VersionsWalkStart(options) : options.start_after;
  walk.recursive = options.delimiter != "/";
  std::vector<std::unique_ptr<EntryStream>> streams;
  for (auto& set : sets_) {
    auto s = set->walk(bucket, walk, false, options.versions);
    if (!s) return std::unexpected(s.error());
    streams.push_back(std::move(*s));
  }
  auto merged = MergeStreams(std::move(streams));
  if (options.versions) return BuildVersionsPage(*merged, bucket, options);
  return BuildListPage(*merged, bucket, options);
}

Result<std::string> ErasureSets::new_multipart_upload(const RequestContext& ctx,
                                                      std::string_view bucket, std::string_view key,
                                                      const PutOptions& options,
                                                      hash::ChecksumAlgo checksum_algo) {
  if (Status s = check_names(bucket, key); !s.ok()) return std::unexpected(s);
  return Deadlined(ctx, bucket, key,
                   set_for(key).new_multipart_upload(ctx, bucket, key, options, checksum_algo));
}

Result<PartInfo> ErasureSets::put_object_part(const RequestContext& ctx, std::string_view bucket,
                                              std::string_view key, std::string_view upload_id,
                                              int part_number, hash::HashingSource& body,
                                              int64_t size, const PartOptions& options) {
  if (Status s = check_names(bucket, key); !s.ok()) return std::unexpected(s);
  return Deadlined(
      ctx, bucket, key,
      set_for(key).put_object_part(ctx, bucket, key, upload_id, part_number, body, size, options));
}

Result<ListPartsResult> ErasureSets::list_parts(const RequestContext& ctx, std::string_view bucket,
                                                std::string_view key, std::string_view upload_id,
                                                int part_marker, int max_parts) {
  if (Status s = check_names(bucket, key); !s.ok()) return std::unexpected(s);
  return Deadlined(ctx, bucket, key,
                   set_for(key).list_parts(ctx, bucket, key, upload_id, part_marker, max_parts));
}

Result<ObjectInfo> ErasureSets::complete_multipart_upload(const RequestContext& ctx,
                                                          std::string_view bucket,
                                                          std::string_view key,
                                                          std::string_view upload_id,
                                                          const std::vector<CompletePart>& parts,
                                                          const WritePrecondition& precondition) {
  if (Status s = check_names(bucket, key); !s.ok()) return std::unexpected(s);
  auto versioning = versioning_of(ctx, bucket);
  if (!versioning) return std::unexpected(versioning.error());
  return Deadlined(ctx, bucket, key,
                   set_for(key).complete_multipart_upload(ctx, bucket, key, upload_id, parts,
                                                          precondition, *versioning));
}

Status ErasureSets::abort_multipart_upload(const RequestContext& ctx, std::string_view bucket,
                                           std::string_view key, std::string_view upload_id) {
  FS_RETURN_IF_ERROR(check_names(bucket, key));
  return Deadlined(ctx, bucket, key,
                   set_for(key).abort_multipart_upload(ctx, bucket, key, upload_id));
}

Result<ListUploadsResult> ErasureSets::list_multipart_uploads(const RequestContext& ctx,
                                                              std::string_view bucket,
                                                              const ListUploadsOptions& opt) {
  if (!internal::IsValidBucketName(bucket)) return Err(Code::kInvalidBucketName, "bad bucket");
  if (Status s = sets_[0]->check_bucket(ctx, bucket); !s.ok()) return std::unexpected(s);
  const int max = std::clamp(opt.max_uploads, 0, 1000);
  std::vector<MultipartUpload> all;
  for (auto& set : sets_) {
    auto u = set->list_uploads(ctx, bucket, opt.prefix, opt.key_marker, opt.upload_id_marker,
                               static_cast<size_t>(max) + 1);
    if (!u) return std::unexpected(u.error());
    all.insert(all.end(), u->begin(), u->end());
  }
  std::sort(all.begin(), all.end(), [](const MultipartUpload& a, const MultipartUpload& b) {
    return std::tie(a.key, a.upload_id) < std::tie(b.key, b.upload_id);
  });
  ListUploadsResult r;
  int count = 0;
  for (auto& u : all) {
    std::string cp;
    if (!opt.delimiter.empty()) {
      size_t pos = u.key.find(opt.delimiter, opt.prefix.size());
      if (pos != std::string::npos) cp = u.key.substr(0, pos + opt.delimiter.size());
    }
    if (!cp.empty() &&
        ((!r.common_prefixes.empty() && r.common_prefixes.back() == cp) || cp <= opt.key_marker)) {
      continue;
    }
    if (count == max) {
      r.truncated = true;
      break;
    }
    ++count;
    if (!cp.empty()) {
      r.common_prefixes.push_back(cp);
      r.next_key_marker = cp;
      r.next_upload_id_marker.clear();
    } else {
      r.next_key_marker = u.key;
      r.next_upload_id_marker = u.upload_id;
      r.uploads.push_back(std::move(u));
    }
  }
  if (!r.truncated) r.next_key_marker.clear(), r.next_upload_id_marker.clear();
  return r;
}

HealResult ErasureSets::heal_object(const RequestContext& ctx, std::string_view bucket,
                                    std::string_view key) {
  if (Status s = check_names(bucket, key); !s.ok()) {
    return HealResult{std::string(bucket), std::string(key), 0, 0, s};
  }
  // Writes never create a bucket's folder, so a drive that lost it (wiped, replaced) gets
  // it back here before the object's shards are rebuilt onto it.
  ErasureSet& set = set_for(key);
  set.heal_bucket(ctx, bucket);
  return set.heal_object(ctx, bucket, key);
}

Status ErasureSets::heal_objects(const RequestContext& ctx, std::string_view bucket,
                                 const std::function<bool(const HealResult&)>& each) {
  if (!internal::IsValidBucketName(bucket)) return Status(Code::kInvalidBucketName, "bad bucket");
  FS_RETURN_IF_ERROR(sets_[0]->check_bucket(ctx, bucket));
  storage::WalkOptions opt;
  opt.include_uncommitted = true;  // keys with data dirs but no metadata: purged after a grace
  // Keys only: heal_object reads each key's metadata itself; the walk's copy was read for
  // nothing and held in its batches (up to 512 entries a drive) while the scanner, at 50
  // objects a second, took tens of seconds to use them.
  opt.read_metadata = false;
  for (auto& set : sets_) {
    set->heal_bucket(ctx, bucket);  // a drive that lost the bucket's folder gets it back first
    // any_version: keys without a quorum version too, so their leftovers are purged.
    auto stream = set->walk(bucket, opt, true);
    if (!stream && stream.error() == Code::kNoSuchBucket) continue;  // healed by the scanner
    if (!stream) return stream.error();
    ListEntry e;
    while (!stop_.stopped()) {
      auto more = (*stream)->next(e);
      if (!more) return more.error();
      if (!*more) break;
      if (!each(set->heal_object(ctx, bucket, e.key, /*sweep=*/true))) return Status::Ok();
    }
  }
  return Status::Ok();
}

}  // namespace flashstor::object
