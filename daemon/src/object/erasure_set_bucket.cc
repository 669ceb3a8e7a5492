// ErasureSet buckets: a bucket is a volume on every drive of the set; existence and
// creation are decided by quorum, missing volumes are re-created by heal_bucket.
#include <atomic>
#include <map>
#include <string>

#include "erasure_set_internal.h"
#include "flashstor/obs/log.h"

namespace flashstor::object {

namespace {

bool CreatedOrExists(const Status& s) {
  return s.ok() || s == Code::kVolumeExists;
}

}  // namespace

Status ErasureSet::make_bucket(const RequestContext& ctx, std::string_view bucket, bool* existed) {
  const size_t n = raw_.size();
  const int quorum = bucket_write_quorum();
  // At the bucket's write quorum. A drive that misses the volume gets it from heal_bucket
  // (the scanner's pass, or the heal of an object the drive missed: writes never create a
  // bucket's folder, so they fail on it and queue that heal).
  const std::vector<Status> result = fan_out_steps(
      ctx,
      [name = std::string(bucket)](storage::StorageApi& drive, size_t) {
        return drive.make_volume(name);
      },
      static_cast<size_t>(quorum), nullptr, CreatedOrExists);
  int created = 0, exists = 0;
  for (const Status& s : result) {
    created += s.ok();
    exists += s == Code::kVolumeExists;
  }
  if (existed != nullptr) *existed = exists >= quorum;
  if (created + exists >= quorum) return Status::Ok();
  // Undo a minority creation so a failed make_bucket leaves no half-bucket behind: a step
  // every drive that created it takes, within fan_out_all's bound. A volume left on a drive
  // that did not answer is a minority no listing shows (and a later CreateBucket reuses).
  std::vector<char> undo(n, 0);
  for (size_t d = 0; d < n; ++d) undo[d] = result[d].ok();
  (void)fan_out_all([undo, name = std::string(bucket), drives = shared_drives_](size_t d) {
    return undo[d] != 0 && (*drives)[d]->delete_volume(name, false).ok();
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
  // At the bucket's write quorum. A drive that fails or does not answer in time keeps its
  // folder (heal only re-creates folders a quorum has): a minority that no listing shows,
  // and that a later CreateBucket of the name reuses, so it is logged.
  const std::vector<Status> result = fan_out_steps(
      ctx,
      [name = std::string(bucket)](storage::StorageApi& drive, size_t) {
        // The caller checked that no object is left; what remains are empty directories.
        Status s = drive.delete_volume(name, true);
        return s == Code::kVolumeNotFound ? Status::Ok() : s;
      },
      static_cast<size_t>(bucket_write_quorum()));
  Status s = internal::ReduceErrors(result, bucket_write_quorum(), Code::kWriteQuorum);
  for (size_t d = 0; s.ok() && d < result.size(); ++d) {
    if (raw_[d] == nullptr || result[d].ok()) continue;
    obs::Log(obs::Level::kWarning, "deleted bucket's folder left on a drive",
             {{"TRACE_ID", ctx.trace_id},
              {"BUCKET", bucket},
              {"DRIVE", std::to_string(index_) + "/" + std::to_string(d)},
              {"ERROR", CodeName(result[d].code())}});
  }
  return s.ok() ? s : internal::ToObjectStatus(s);
}

std::map<std::string, int> ErasureSet::count_buckets(const RequestContext& ctx) {
  const size_t n = raw_.size();
  // At quorum (read quorum + 1 answers): a drive that does not answer in time is left out
  // of the count. The tasks may outlive this call; only answered drives' slots are read.
  auto names = std::make_shared<std::vector<std::vector<std::string>>>(n);
  const std::vector<char> answered = fan_out(
      ctx,
      [names, drives = shared_drives_](size_t d) {
        storage::StorageApi* drive = (*drives)[d].get();
        if (drive == nullptr) return false;
        auto volumes = drive->list_volumes();
        if (!volumes) return false;
        for (const auto& v : *volumes) (*names)[d].push_back(v.name);
        return true;
      },
      read_needed());
  std::map<std::string, int> votes;
  for (size_t d = 0; d < n; ++d) {
    if (!answered[d]) continue;
    for (const std::string& name : (*names)[d]) ++votes[name];
  }
  return votes;
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
