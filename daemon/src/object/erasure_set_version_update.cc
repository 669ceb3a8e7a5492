// ErasureSet::update_version: changes one version's tags, retention or legal hold in place
// (S3 object tagging and object lock): metadata read with read quorum, the version rewritten
// at its place in each drive's list with write quorum, every other version and all data
// untouched, under the key's write lock. Retention rules are checked against the stored
// version under that lock, so two updates cannot both weaken it.
#include <algorithm>

#include "erasure_set_internal.h"
#include "flashstor/object/set_layout.h"
#include "flashstor/storage/key_path.h"

namespace flashstor::object {
namespace {

// Whether replacing retention `now` by `next` weakens it: removes or shortens it, or turns
// COMPLIANCE into GOVERNANCE. Only an unexpired retention can be weakened.
bool Weakens(const ObjectLock& now, const ObjectLock& next, int64_t now_ns) {
  if (now.mode == RetentionMode::kNone || now.retain_until_ns <= now_ns) return false;
  if (next.mode == RetentionMode::kNone) return true;
  if (next.retain_until_ns < now.retain_until_ns) return true;
  return now.mode == RetentionMode::kCompliance && next.mode == RetentionMode::kGovernance;
}

Status CheckRetentionChange(const ObjectLock& stored, const VersionUpdate& update) {
  if (!update.retention || !Weakens(stored, *update.retention, internal::NowNs())) {
    return Status::Ok();
  }
  if (stored.mode == RetentionMode::kCompliance) {
    return Status(Code::kAccessDenied,
                  "the version is under COMPLIANCE retention, which cannot be shortened");
  }
  if (!update.bypass_governance) {
    return Status(Code::kAccessDenied, "the version is under GOVERNANCE retention");
  }
  return Status::Ok();
}

void Apply(const VersionUpdate& update, ObjectMeta& m) {
  if (update.tags) m.tags = *update.tags;
  if (update.retention) {
    m.retention_mode = update.retention->mode;
    m.retain_until_ns =
        update.retention->mode == RetentionMode::kNone ? 0 : update.retention->retain_until_ns;
  }
  if (update.legal_hold) m.legal_hold = *update.legal_hold;
}

}  // namespace

Result<ObjectInfo> ErasureSet::update_version(const RequestContext& ctx, std::string_view bucket,
                                              std::string_view key, std::string_view version_id,
                                              const VersionUpdate& update) {
  FS_RETURN_UNEXPECTED_IF_ERROR(storage::ValidateObjectKey(key));
  if (!version_id.empty() && !internal::ValidVersionId(version_id)) {
    return Err(Code::kInvalidArgument, "Invalid version id specified");
  }
  auto lock = ctx_.locks->lock(internal::ObjectResource(bucket, key), true, ctx);
  if (!lock) return std::unexpected(lock.error());
  auto q = read_meta(ctx, bucket, key, true, version_id);
  if (!q) return std::unexpected(q.error());
  const ObjectMeta& target = q->meta();
  if (target.delete_marker) {
    // The current version a marker: the object does not exist; a marker named by id has no
    // tags or lock to change (405, as AWS answers).
    if (version_id.empty()) return Err(Code::kNoSuchKey, "current version is a delete marker");
    return Err(Code::kMethodNotAllowed, "a delete marker has no tags or object lock");
  }
  FS_RETURN_UNEXPECTED_IF_ERROR(CheckRetentionChange(target.lock(), update));
  // A version is identified by (mod time, ETag, data dir), and the newest copy on enough
  // drives wins a read. One nanosecond later makes the updated record outvote a drive that
  // missed this update, while Last-Modified (seconds in headers, milliseconds in listings)
  // stays what AWS keeps it: tags and object lock do not modify the object. Later than any
  // record an update cut short left on some drives, too, or this update would share its
  // identity (and a read could serve the lost update's tags).
  CommitPlan plan;
  plan.bucket = bucket;
  plan.key = key;
  plan.fence = lock->fence();
  plan.in_place = true;
  plan.replaces = KeyOf(target);
  plan.participate = q->in_quorum;
  plan.write_quorum = WriteQuorum(target.erasure.data, target.erasure.parity);
  plan.data_dir = target.data_dir;
  const int64_t updated_ns = std::max(target.mod_time_ns, q->newest_record_ns) + 1;
  plan.meta.resize(raw_.size());
  for (size_t d = 0; d < raw_.size(); ++d) {
    if (!q->in_quorum[d]) continue;
    ObjectMeta m = std::move(*q->per_drive[d]);  // target is not used past this loop
    m.mod_time_ns = updated_ns;
    Apply(update, m);
    plan.meta[d] = std::move(m);
  }
  if (Status s = commit(ctx, plan); !s.ok()) return std::unexpected(s);
  return TakeObjectInfo(plan.meta[q->winner], bucket, key);
}

}  // namespace flashstor::object
