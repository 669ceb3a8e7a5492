// Parallel drive walks for one listing: when the merge has used up a drive's entries, every
// drive running low fills its next bounded batch on the I/O pool, in parallel (a quorum
// fan-out), and a drive that misses the batch's deadline is dropped from this listing (it then
// counts as offline), so a hung drive cannot hold the listings of its set.
#pragma once

#include <chrono>
#include <memory>
#include <vector>

#include "flashstor/object/worker_pool.h"
#include "flashstor/storage/storage_api.h"

namespace flashstor::object {

struct DriveWalkBatching {
  // Entries a batch holds at first; each batch of a drive doubles it up to max_entries (a
  // max-keys=1 page reads few entries, a 1,000-key page few batches).
  size_t first_entries = 16;  // 16+32+...+512 = 1,008: a 1,000-key page reads 1,001 and 7 more
  size_t max_entries = 512;
  size_t max_bytes = 4u << 20;  // metadata bytes a batch holds at most (plus one entry)
  // The drives whose batches are due are fetched as one quorum fan-out: once all but one
  // answered, the last gets grace_factor times that long, within [min_grace, max_grace].
  double grace_factor = 2.0;
  std::chrono::microseconds min_grace{5'000};
  std::chrono::microseconds max_grace{250'000};
  // A fan-out nobody settles (one drive due, or several hung) ends after slow_factor times
  // the slowest batch seen so far in this listing, within [min_wait, max_wait].
  double slow_factor = 8.0;
  std::chrono::microseconds min_wait{500'000};
  std::chrono::microseconds max_wait{10'000'000};
  // Drives a round never drops below (the set's read quorum): a drive is dropped for being
  // slow only while the others still known would be more than this many. Fewer known drives
  // cannot tell a key's versions apart (PickVersion's kNoQuorum), so once the last drives
  // above the read quorum are gone, a round waits for all its drives, up to its own
  // deadline above, rather than leave the listing unable to decide any key.
  size_t keep = 1;
};

// Wraps the drives' walkers (null: offline) into walkers of the same order whose next() reads
// from batches filled on the pool. A dropped drive's walker fails with kTimeout (the merge
// treats it as offline from then on); its batch task, still running, owns that drive's
// walker and the drives (kept alive through `drives`) until it ends. stragglers: the set's,
// counted per drive, so later fan-outs skip a drive whose batch is stuck. opened_in: how long
// opening the walks took (the first batches' deadline is derived from it).
std::vector<std::unique_ptr<storage::Walker>> BatchDriveWalks(
    WorkerPool& pool, std::vector<std::unique_ptr<storage::Walker>> walkers,
    std::shared_ptr<const std::vector<std::shared_ptr<storage::StorageApi>>> drives,
    std::shared_ptr<WorkerPool::Stragglers> stragglers, std::chrono::microseconds opened_in,
    const DriveWalkBatching& batching = {});

}  // namespace flashstor::object
