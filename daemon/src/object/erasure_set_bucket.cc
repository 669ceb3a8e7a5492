// ErasureSet buckets: a bucket is a volume on every drive of the set; existence and
// creation are decided by quorum, missing volumes are re-created by heal_bucket.
#include <atomic>

#include "erasure_set_internal.h"

namespace flashstor::object {

Status ErasureSet::make_bucket(const RequestContext& ctx, std::string_view bucket, bool* existed) {
  const size_t n = raw_.size();
  std::vector<Status> result(n, Status(Code::kDiskNotFound, "drive offline"));
  ctx_.pool->run(n, [&](size_t d) {
    if (raw_[d] != nullptr) result[d] = raw_[d]->make_volume(bucket);
  });
  int created = 0, exists = 0;
  for (const Status& s : result) {
    created += s.ok();
    exists += s == Code::kVolumeExists;
  }
  const int quorum = bucket_write_quorum();
  if (existed != nullptr) *existed = exists >= quorum;
  if (created + exists >= quorum) return Status::Ok();
  // Undo a minority creation so a failed make_bucket leaves no half-bucket behind.
  ctx_.pool->run(n, [&](size_t d) {
    if (result[d].ok()) raw_[d]->delete_volume(bucket, false);
  });
  return Status(Code::kWriteQuorum, "bucket not created on a quorum of drives");
}

Status ErasureSet::check_bucket(const RequestContext& ctx, std::string_view bucket) {
  const size_t n = raw_.size();
  // At quorum (every PUT asks): a drive that does not answer in time counts as offline.
  auto answers = std::make_shared<std::vector<Status>>(n);
  const std::vector<char> answered = fan_out(
      ctx,
      [answers, name = std::string(bucket), drives = shared_drives_](size_t d) {
        if ((*drives)[d] == nullptr) return false;
        auto v = (*drives)[d]->stat_volume(name);
        (*answers)[d] = v ? Status::Ok() : v.error();
        return v.has_value();
      },
      static_cast<size_t>(read_quorum()));
  std::vector<Status> result(n, Status(Code::kDiskNotFound, "drive offline"));
  for (size_t d = 0; d < n; ++d) {
    if (answered[d] && raw_[d] != nullptr) result[d] = (*answers)[d];
  }
  Status s = internal::ReduceErrors(result, read_quorum(), Code::kReadQuorum);
  return s.ok() ? s : internal::ToObjectStatus(s);
}

Status ErasureSet::delete_bucket(const RequestContext& ctx, std::string_view bucket) {
  const size_t n = raw_.size();
  std::vector<Status> result(n, Status(Code::kDiskNotFound, "drive offline"));
  ctx_.pool->run(n, [&](size_t d) {
    if (raw_[d] == nullptr) return;
    // The caller checked that no object is left; what remains are empty directories.
    result[d] = raw_[d]->delete_volume(bucket, true);
    if (result[d] == Code::kVolumeNotFound) result[d] = Status::Ok();
  });
  Status s = internal::ReduceErrors(result, bucket_write_quorum(), Code::kWriteQuorum);
  return s.ok() ? s : internal::ToObjectStatus(s);
}

int ErasureSet::heal_bucket(const RequestContext& ctx, std::string_view bucket) {
  // Shared bucket lock: a DeleteBucket between the check and the mkdirs would otherwise get
  // its bucket's folders back (writes never create them; this is the one place that does).
  auto lock = ctx_.locks->lock(internal::BucketResource(bucket), false, ctx);
  if (!lock || !check_bucket(ctx, bucket).ok()) return 0;
  std::atomic<int> healed{0};
  ctx_.pool->run(raw_.size(), [&](size_t d) {
    if (raw_[d] != nullptr && raw_[d]->make_volume(bucket).ok()) ++healed;
  });
  return healed.load();
}

}  // namespace flashstor::object
