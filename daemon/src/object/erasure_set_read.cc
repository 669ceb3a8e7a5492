// ErasureSet reads: HEAD (quorum metadata) and GET (a streaming reader over the version
// resolved under the key's read lock, released before the first data read).
#include "erasure_set_internal.h"
#include "flashstor/storage/key_path.h"
#include "object_reader.h"

namespace flashstor::object {

Result<ObjectInfo> ErasureSet::get_object_info(const RequestContext& ctx, std::string_view bucket,
                                               std::string_view key, std::string_view version_id,
                                               bool current_marker_ok) {
  if (Status s = storage::ValidateObjectKey(key); !s.ok()) return std::unexpected(s);
  if (!version_id.empty() && !internal::ValidVersionId(version_id)) {
    return Err(Code::kInvalidArgument, "Invalid version id specified");
  }
  auto lock = ctx_.locks->lock(internal::ObjectResource(bucket, key), false, ctx);
  if (!lock) return std::unexpected(lock.error());
  auto q = read_meta(ctx, bucket, key, true, version_id);
  if (!q) return std::unexpected(q.error());
  if (version_id.empty() && q->meta().delete_marker && !current_marker_ok) {
    return Err(Code::kNoSuchKey, "the current version is a delete marker");
  }
  const bool latest = !q->live.empty() && q->live.front().same(q->meta());
  ObjectInfo info = TakeObjectInfo(*q->per_drive[q->winner], bucket, key);
  info.is_latest = latest;
  return info;
}

Result<std::unique_ptr<ObjectReader>> ErasureSet::open_object(const RequestContext& ctx,
                                                              std::string_view bucket,
                                                              std::string_view key,
                                                              std::string_view version_id) {
  if (Status s = storage::ValidateObjectKey(key); !s.ok()) return std::unexpected(s);
  if (!version_id.empty() && !internal::ValidVersionId(version_id)) {
    return Err(Code::kInvalidArgument, "Invalid version id specified");
  }
  auto lock = ctx_.locks->lock(internal::ObjectResource(bucket, key), false, ctx);
  if (!lock) return std::unexpected(lock.error());
  auto q = read_meta(ctx, bucket, key, true, version_id);
  if (!q) return std::unexpected(q.error());
  if (q->meta().delete_marker) {
    if (version_id.empty()) return Err(Code::kNoSuchKey, "the current version is a delete marker");
    return Err(Code::kNoSuchVersion, "the version is a delete marker");
  }
  // The winner drive's decoded copy becomes the reader's: no copy of the metadata is made.
  ObjectMeta meta = std::move(*q->per_drive[q->winner]);
  auto codec = erasure::ErasureCodec::Create(meta.erasure.data, meta.erasure.parity);
  if (!codec) return std::unexpected(codec.error());
  const size_t n = raw_.size();
  std::vector<internal::ShardSlot> slots(n);
  for (size_t d = 0; d < n; ++d) {
    if (!q->in_quorum[d]) continue;
    auto& slot = slots[static_cast<size_t>(meta.erasure.distribution[d] - 1)];
    slot.drive = drives_[d];
    slot.drive_index = static_cast<int>(d);
    if (meta.inlined) {
      slot.inline_data =
          std::move(d == q->winner ? meta.inline_data : q->per_drive[d]->inline_data);
    }
  }
  internal::ObjectLocation loc{std::string(bucket), std::string(key), meta.data_dir};
  // The data files are opened as the stream reaches them (later parts, parity shards when a
  // drive fails). An overwrite committed meanwhile moves this version's data dirs to the
  // drives' trash, where open_file still finds them for the trash grace: the version is
  // resolved, so the lock goes now and an overwrite never waits for a GET (design.md).
  lock->release();
  ObjectInfo info = TakeObjectInfo(meta, bucket, key);  // meta keeps the layout the reader uses
  // Called with the reader's own copies of the names (no copies captured here).
  auto on_degraded = [this](std::string_view b, std::string_view k) { queue_heal(b, k); };
  auto reader = std::make_unique<internal::ErasureObjectReader>(
      std::move(info), std::move(meta), std::move(slots), std::move(loc), *ctx_.pool,
      std::move(*codec), std::move(on_degraded), std::move(*lock), stragglers_, ctx);
  if (Status s = reader->prefetch(); !s.ok()) return std::unexpected(s);
  return std::unique_ptr<ObjectReader>(std::move(reader));
}

}  // namespace flashstor::object
