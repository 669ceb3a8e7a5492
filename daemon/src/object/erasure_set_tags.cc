// ErasureSet::update_object_tags: replaces the tags of a key's current version in place
// (S3 Put/DeleteObjectTagging): metadata read with read quorum, rewritten with write quorum,
// data untouched, under the key's write lock.
#include "erasure_set_internal.h"
#include "flashstor/object/set_layout.h"
#include "flashstor/storage/key_path.h"

namespace flashstor::object {

Result<ObjectInfo> ErasureSet::update_object_tags(std::string_view bucket, std::string_view key,
                                                  std::string_view version_id,
                                                  const Metadata& tags) {
  if (Status s = storage::ValidateObjectKey(key); !s.ok()) return std::unexpected(s);
  auto lock = ctx_.locks->lock(internal::ObjectResource(bucket, key), true);
  if (!lock) return std::unexpected(lock.error());
  auto q = read_meta(bucket, key, true);
  if (!q) return std::unexpected(q.error());
  const ObjectMeta& current = q->meta();
  if (!version_id.empty() && version_id != current.version_id) {
    // Refused rather than applied to the wrong version.
    return Err(Code::kNotImplemented, "tagging a noncurrent version is not supported");
  }
  if (current.delete_marker) return Err(Code::kNoSuchKey, "current version is a delete marker");
  // A version is identified by (mod time, ETag, data dir), and the newest one on enough
  // drives wins a read. One nanosecond later makes the retagged record outvote a drive that
  // missed this update, while Last-Modified (seconds in headers, milliseconds in listings)
  // stays what AWS keeps it: tagging does not modify the object.
  const int64_t retagged_ns = current.mod_time_ns + 1;
  CommitPlan plan;
  plan.bucket = bucket;
  plan.key = key;
  plan.participate = q->in_quorum;
  plan.write_quorum = WriteQuorum(current.erasure.data, current.erasure.parity);
  plan.data_dir = current.data_dir;
  plan.meta.resize(raw_.size());
  for (size_t d = 0; d < raw_.size(); ++d) {
    if (!q->in_quorum[d]) continue;
    ObjectMeta m = std::move(*q->per_drive[d]);  // current is not used past this loop
    m.mod_time_ns = retagged_ns;
    m.tags = tags;
    plan.meta[d] = std::move(m);
  }
  if (Status s = commit(plan); !s.ok()) return std::unexpected(s);
  return TakeObjectInfo(plan.meta[q->winner], bucket, key);
}

}  // namespace flashstor::object
