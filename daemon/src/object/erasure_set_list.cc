// ErasureSet::walk: opens a sorted walk on the set's drives (a quorum fan-out) and merges them,
// each drive's walk read in batches on the I/O pool (drive_walk_batches.h).
#include <chrono>

#include "erasure_set_internal.h"
#include "flashstor/object/drive_walk_batches.h"
#include "flashstor/object/list_merge.h"
#include "flashstor/object/set_layout.h"

namespace flashstor::object {
namespace {

// What opening the walks hands back, per drive: shared with the fan-out's tasks, which may
// outlive the call (worker_pool.h); a drive's entry is read only when its task answered.
struct OpenedWalks {
  std::vector<std::unique_ptr<storage::Walker>> walks;
  std::vector<Status> errors;
};

}  // namespace

Result<std::unique_ptr<EntryStream>> ErasureSet::walk(std::string_view bucket,
                                                      const storage::WalkOptions& options,
                                                      bool any_version, bool all_versions) {
  const size_t n = raw_.size();
  auto opened = std::make_shared<OpenedWalks>();
  opened->walks.resize(n);
  opened->errors.assign(n, Status(Code::kDiskNotFound, "drive offline"));
  // A refilling drive's walk cannot say which keys are absent: left out (unknown); every
  // key it holds is also on the drives it is being healed from.
  std::vector<char> left_out(n, 0);
  size_t usable = 0;
  for (size_t d = 0; d < n; ++d) {
    left_out[d] = raw_[d] == nullptr || refilling(d);
    usable += left_out[d] == 0 && !stragglers_->stuck(d);
  }
  // All but one drive, and the grace for the last: a drive that hangs in opening its walk
  // (or has a call stuck already) is left out instead of holding the listing.
  const size_t needed = std::max<size_t>(usable > 1 ? usable - 1 : 1, 1);
  const auto t0 = std::chrono::steady_clock::now();
  // No request deadline here: the grace and the batches' own deadlines (drive_walk_batches.h)
  // already bound every wait of a listing.
  std::vector<char> answered = fan_out(
      RequestContext{},
      [opened, left_out, drives = shared_drives_, volume = std::string(bucket), options](size_t d) {
        if (left_out[d] != 0) return false;
        auto w = (*drives)[d]->walk(volume, options);
        if (w) {
          opened->walks[d] = std::move(*w);
          opened->errors[d] = Status::Ok();
        } else {
          opened->errors[d] = w.error();
        }
        return true;
      },
      needed);
  const auto opened_in =
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0);
  std::vector<std::unique_ptr<storage::Walker>> walks(n);
  std::vector<Status> errors(n, Status(Code::kDiskNotFound, "drive offline"));
  for (size_t d = 0; d < n; ++d) {
    if (answered[d] == 0) continue;
    walks[d] = std::move(opened->walks[d]);
    errors[d] = opened->errors[d];
  }
  // Any drive can contribute (an object counts when any drive lists it), but the bucket
  // must exist on a read quorum.
  Status s = internal::ReduceErrors(errors, 1, Code::kReadQuorum);
  int no_bucket = 0;
  for (const Status& e : errors) no_bucket += e == Code::kVolumeNotFound;
  if (no_bucket >= read_quorum()) return Err(Code::kNoSuchBucket, "bucket not found");
  if (!s.ok()) return std::unexpected(internal::ToObjectStatus(s));
  DriveWalkBatching batching;
  batching.keep = static_cast<size_t>(read_quorum());
  return MergeDriveWalks(BatchDriveWalks(*ctx_.pool, std::move(walks), shared_drives_, stragglers_,
                                         opened_in, batching),
                         WriteQuorum(read_quorum(), default_parity_), any_version, all_versions);
}

}  // namespace flashstor::object
