// BatchDriveWalks: the drives' walkers fill bounded batches on the I/O pool, the drives that
// are due in one quorum fan-out (a round); a drive that misses a round's deadline is dropped
// from the listing.
#include "flashstor/object/drive_walk_batches.h"

#include <algorithm>

namespace flashstor::object {
namespace {

using Clock = std::chrono::steady_clock;

// One drive's walk as its batch tasks see it (shared with them, worker_pool.h's ownership
// rule): a task fills `out` from `walker`; the caller reads the slot only after a round
// reported the task answered, and never again once the drive was dropped.
struct DriveSlot {
  std::unique_ptr<storage::Walker> walker;
  std::vector<storage::WalkEntry> out;
  size_t limit = 0;
  bool end = false;  // the walk ended (error: failed)
  Status error;
  int64_t took_ns = 0;
};

void FillBatch(DriveSlot& slot, size_t max_bytes) {
  const auto t0 = Clock::now();
  slot.out.clear();
  size_t bytes = 0;
  while (slot.out.size() < slot.limit && bytes < max_bytes) {
    storage::WalkEntry e;
    Result<bool> more = slot.walker->next(e);
    if (!more || !*more) {
      if (!more) slot.error = more.error();
      slot.end = true;
      slot.walker.reset();  // closes the walk's directories here, on the pool
      break;
    }
    bytes += e.key.size() + e.metadata.size();
    slot.out.push_back(std::move(e));
  }
  slot.took_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - t0).count();
}

class Batches {
 public:
  Batches(WorkerPool& pool, std::vector<std::unique_ptr<storage::Walker>> walkers,
          std::shared_ptr<const std::vector<std::shared_ptr<storage::StorageApi>>> drives,
          std::shared_ptr<WorkerPool::Stragglers> stragglers, std::chrono::microseconds opened_in,
          const DriveWalkBatching& batching)
      : pool_(pool),
        storage_(std::move(drives)),
        stragglers_(std::move(stragglers)),
        batching_(batching),
        slowest_ns_(std::chrono::duration_cast<std::chrono::nanoseconds>(opened_in).count()),
        drives_(walkers.size()) {
    for (size_t d = 0; d < walkers.size(); ++d) {
      Drive& dr = drives_[d];
      dr.limit = batching_.first_entries;
      if (walkers[d] == nullptr) {  // offline: no walker reads this slot
        dr.end = true;
        dr.error = Status(Code::kDiskNotFound, "drive offline");
        continue;
      }
      dr.slot = std::make_shared<DriveSlot>();
      dr.slot->walker = std::move(walkers[d]);
    }
  }

  Result<bool> next(size_t d, storage::WalkEntry& entry) {
    Drive& dr = drives_[d];
    while (dr.remaining() == 0) {
      if (dr.end) {
        if (!dr.error.ok()) return std::unexpected(dr.error);
        return false;
      }
      // Every drive running low joins d's round, so the drives read in parallel; the round is
      // over before this returns (no fetching ahead: on two cores the drives' reads already
      // use both, and a page that ends leaves nothing running).
      start_round();
      finish_round();
    }
    entry = std::move(dr.ready[dr.pos++]);
    return true;
  }

 private:
  struct Drive {
    std::shared_ptr<DriveSlot> slot;  // null once offline, finished or dropped
    std::vector<storage::WalkEntry> ready;
    size_t pos = 0;
    size_t limit = 0;
    bool end = false;
    Status error;
    size_t remaining() const { return ready.size() - pos; }
  };

  bool due(const Drive& dr) const { return !dr.end && dr.remaining() <= dr.limit / 2; }

  void start_round() {
    members_.clear();
    std::vector<std::shared_ptr<DriveSlot>> slots;
    for (size_t d = 0; d < drives_.size(); ++d) {
      if (!due(drives_[d])) continue;
      members_.push_back(d);
      drives_[d].slot->limit = drives_[d].limit;
      slots.push_back(drives_[d].slot);
    }
    if (members_.empty()) return;
    // One drive of the round may be left behind (after its grace) while that keeps more
    // than batching_.keep drives known; else the round waits for every drive in it.
    size_t known = 0;
    for (const Drive& dr : drives_) known += dr.error.ok();
    const bool may_drop = members_.size() > 1 && known > batching_.keep;
    WorkerPool::QuorumPolicy policy;
    policy.needed = members_.size() - (may_drop ? 1 : 0);
    policy.grace_factor = batching_.grace_factor;
    policy.min_grace = batching_.min_grace;
    policy.max_grace = batching_.max_grace;
    policy.failure_grace = batching_.max_grace;
    const auto slow = std::chrono::microseconds(
        static_cast<int64_t>(static_cast<double>(slowest_ns_) / 1000.0 * batching_.slow_factor));
    policy.max_wait = std::clamp(slow, batching_.min_wait, batching_.max_wait);
    policy.stragglers = stragglers_;
    policy.straggler_index = members_;
    round_ = pool_.start_quorum(
        members_.size(),
        [slots = std::move(slots), keep = storage_, max_bytes = batching_.max_bytes](size_t i) {
          FillBatch(*slots[i], max_bytes);
          return true;
        },
        policy);
  }

  void finish_round() {
    if (!round_) return;
    const std::shared_ptr<WorkerPool::FanOut> round = std::move(round_);
    round_.reset();
    const std::vector<char> answered = round->wait();
    for (size_t i = 0; i < members_.size(); ++i) {
      Drive& dr = drives_[members_[i]];
      if (answered[i] == 0) {
        // Dropped: from here on the merge counts this drive as offline. Its task keeps
        // the slot (and the walker) until it ends.
        dr.slot.reset();
        dr.end = true;
        dr.error = Status(Code::kTimeout, "drive missed the listing's deadline");
        continue;
      }
      DriveSlot& slot = *dr.slot;
      slowest_ns_ = std::max(slowest_ns_, slot.took_ns);
      dr.ready.erase(dr.ready.begin(), dr.ready.begin() + static_cast<ptrdiff_t>(dr.pos));
      dr.pos = 0;
      std::move(slot.out.begin(), slot.out.end(), std::back_inserter(dr.ready));
      slot.out.clear();
      dr.limit = std::min(dr.limit * 2, batching_.max_entries);
      if (slot.end) {
        dr.end = true;
        dr.error = slot.error;
        dr.slot.reset();
      }
    }
    members_.clear();
  }

  WorkerPool& pool_;
  std::shared_ptr<const std::vector<std::shared_ptr<storage::StorageApi>>> storage_;
  std::shared_ptr<WorkerPool::Stragglers> stragglers_;
  const DriveWalkBatching batching_;
  int64_t slowest_ns_;  // the slowest batch (or the walks' opening) seen in this listing
  std::vector<Drive> drives_;
  std::shared_ptr<WorkerPool::FanOut> round_;  // the round out (between start and finish)
  std::vector<size_t> members_;                // its drives
};

class BatchedWalker final : public storage::Walker {
 public:
  BatchedWalker(std::shared_ptr<Batches> batches, size_t drive)
      : batches_(std::move(batches)), drive_(drive) {}
  Result<bool> next(storage::WalkEntry& entry) override { return batches_->next(drive_, entry); }

 private:
  std::shared_ptr<Batches> batches_;
  size_t drive_;
};

}  // namespace

std::vector<std::unique_ptr<storage::Walker>> BatchDriveWalks(
    WorkerPool& pool, std::vector<std::unique_ptr<storage::Walker>> walkers,
    std::shared_ptr<const std::vector<std::shared_ptr<storage::StorageApi>>> drives,
    std::shared_ptr<WorkerPool::Stragglers> stragglers, std::chrono::microseconds opened_in,
    const DriveWalkBatching& batching) {
  const size_t n = walkers.size();
  std::vector<bool> online(n);
  for (size_t d = 0; d < n; ++d) online[d] = walkers[d] != nullptr;
  auto batches = std::make_shared<Batches>(pool, std::move(walkers), std::move(drives),
                                           std::move(stragglers), opened_in, batching);
  std::vector<std::unique_ptr<storage::Walker>> out(n);
  for (size_t d = 0; d < n; ++d) {
    if (online[d]) out[d] = std::make_unique<BatchedWalker>(batches, d);
  }
  return out;
}

}  // namespace flashstor::object
