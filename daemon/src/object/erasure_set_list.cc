// ErasureSet::walk: opens a sorted walk on every online drive of the set and merges them.
#include "erasure_set_internal.h"
#include "flashstor/object/list_merge.h"
#include "flashstor/object/set_layout.h"

namespace flashstor::object {

Result<std::unique_ptr<EntryStream>> ErasureSet::walk(std::string_view bucket,
                                                      const storage::WalkOptions& options,
                                                      bool any_version, bool all_versions) {
  const size_t n = raw_.size();
  std::vector<std::unique_ptr<storage::Walker>> walks(n);
  std::vector<Status> errors(n, Status(Code::kDiskNotFound, "drive offline"));
  ctx_.pool->run(n, [&](size_t d) {
    // A refilling drive's walk cannot say which keys are absent: left out (unknown); every
    // key it holds is also on the drives it is being healed from.
    if (raw_[d] == nullptr || refilling(d)) return;
    auto w = raw_[d]->walk(bucket, options);
    if (w) {
      walks[d] = std::move(*w);
      errors[d] = Status::Ok();
    } else {
      errors[d] = w.error();
    }
  });
  // Any drive can contribute (an object counts when any drive lists it), but the bucket
  // must exist on a read quorum.
  Status s = internal::ReduceErrors(errors, 1, Code::kReadQuorum);
  int no_bucket = 0;
  for (const Status& e : errors) no_bucket += e == Code::kVolumeNotFound;
  if (no_bucket >= read_quorum()) return Err(Code::kNoSuchBucket, "bucket not found");
  if (!s.ok()) return std::unexpected(internal::ToObjectStatus(s));
  return MergeDriveWalks(std::move(walks), WriteQuorum(read_quorum(), default_parity_), any_version,
                         all_versions);
}

}  // namespace flashstor::object
