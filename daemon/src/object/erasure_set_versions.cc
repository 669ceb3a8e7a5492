// ErasureSet versioning: which of a key's versions a write keeps, fresh version ids, and
// deletes as versioning sees them (delete markers, removing one version for good).
#include "erasure_set_internal.h"
#include "flashstor/object/set_layout.h"
#include "flashstor/storage/key_path.h"
#include "flashstor/storage/uuid.h"

namespace flashstor::object {
namespace internal {

std::string NewVersionId() {
  return storage::NewUuid();
}

bool ValidVersionId(std::string_view id) {
  if (id == "null") return true;
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    const bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                    c == '-' || c == '_' || c == '.';
    if (!ok) return false;
  }
  return true;
}

}  // namespace internal

Result<std::vector<VersionKey>> ErasureSet::versions_to_keep(const RequestContext& ctx,
                                                             std::string_view bucket,
                                                             std::string_view key,
                                                             std::string_view new_id,
                                                             VersioningState versioning) {
  auto q = read_meta(ctx, bucket, key, false);
  if (!q) {
    if (q.error() == Code::kNoSuchKey || versioning == VersioningState::kUnversioned) {
      return std::vector<VersionKey>{};
    }
    return std::unexpected(q.error());
  }
  std::vector<VersionKey> keep;
  keep.reserve(q->live.size());
  for (VersionKey& v : q->live) {
    if (v.version_id != new_id) keep.push_back(std::move(v));
  }
  if (keep.size() >= kMaxVersions) {
    return Err(Code::kInvalidRequest, "the key has the most versions a key may have");
  }
  return keep;
}

Result<DeleteResult> ErasureSet::delete_object_version(const RequestContext& ctx,
                                                       std::string_view bucket,
                                                       std::string_view key,
                                                       const DeleteOptions& options,
                                                       VersioningState versioning) {
  FS_RETURN_UNEXPECTED_IF_ERROR(storage::ValidateObjectKey(key));
  if (!options.version_id.empty() && !internal::ValidVersionId(options.version_id)) {
    return Err(Code::kInvalidArgument, "Invalid version id specified");
  }
  auto lock = ctx_.locks->lock(internal::ObjectResource(bucket, key), true, ctx);
  if (!lock) return std::unexpected(lock.error());
  FS_RETURN_UNEXPECTED_IF_ERROR(check_precondition(ctx, bucket, key, options.precondition));
  DeleteResult out;
  if (options.version_id.empty() && versioning == VersioningState::kUnversioned) {
    FS_RETURN_UNEXPECTED_IF_ERROR(delete_unlocked(ctx, bucket, key));
    return out;
  }
  CommitPlan plan;
  plan.bucket = bucket;
  plan.key = key;
  plan.fence = lock->fence();
  plan.participate.assign(raw_.size(), true);
  if (!options.version_id.empty()) {
    // One version goes for good; the others stay.
    auto q = read_meta(ctx, bucket, key, false);
    if (!q) {
      if (q.error() == Code::kNoSuchKey) return out;
      return std::unexpected(q.error());
    }
    bool found = false;
    for (const VersionKey& v : q->live) {
      if (v.version_id == options.version_id) {
        if (v.lock.protects(internal::NowNs(), options.bypass_governance)) {
          return Err(Code::kAccessDenied, "the version is protected by object lock");
        }
        found = true;
        out.delete_marker = v.delete_marker;
      } else {
        plan.keep.push_back(v);
      }
    }
    out.version_id = options.version_id;
    if (!found) return out;
    if (plan.keep.empty()) {
      FS_RETURN_UNEXPECTED_IF_ERROR(delete_unlocked(ctx, bucket, key));
      return out;
    }
    plan.write_quorum = bucket_write_quorum();
    FS_RETURN_UNEXPECTED_IF_ERROR(commit(ctx, plan));
    return out;
  }
  // A delete marker becomes the current version.
  ObjectMeta marker;
  marker.delete_marker = true;
  marker.version_id =
      versioning == VersioningState::kEnabled ? internal::NewVersionId() : std::string("null");
  marker.mod_time_ns = internal::NowNs();
  marker.erasure = new_erasure(key, "STANDARD");
  auto keep = versions_to_keep(ctx, bucket, key, marker.version_id, versioning);
  if (!keep) return std::unexpected(keep.error());
  plan.keep = std::move(*keep);
  plan.write_quorum = WriteQuorum(marker.erasure.data, marker.erasure.parity);
  for (size_t d = 0; d < raw_.size(); ++d) {
    ObjectMeta m = marker;
    m.erasure.index = marker.erasure.distribution[d];
    plan.meta.push_back(std::move(m));
  }
  FS_RETURN_UNEXPECTED_IF_ERROR(commit(ctx, plan));
  out.delete_marker = true;
  out.version_id = marker.version_id;
  return out;
}

}  // namespace flashstor::object
