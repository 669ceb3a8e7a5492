// The engine's two ways of running one call per drive on the WorkerPool without waiting for a
// drive that hangs: at quorum, settled by the request's deadline (QuorumFanOut), and on every
// drive within a fixed bound (CleanupFanOut). ErasureSet's fan_out and fan_out_all and the
// bucket records' store (BucketMetadataStore) share them. The ownership rule of
// worker_pool.h holds: fn may outlive the call, so it reaches nothing on the caller's stack.
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include "flashstor/object/request_context.h"
#include "flashstor/object/worker_pool.h"
#include "flashstor/storage/storage_api.h"

namespace flashstor::object::internal {

// Drives and their straggler counts: what both fan-outs need besides the pool. drives[d] is
// null for an offline slot.
// References only: made on the fly for each fan-out, it must not outlive what it names.
struct FanOutDrives {
  WorkerPool& pool;
  const std::vector<storage::StorageApi*>& drives;
  const std::shared_ptr<WorkerPool::Stragglers>& stragglers;  // one per drive
};

// See ErasureSet::fan_out.
std::vector<char> QuorumFanOut(const FanOutDrives& on, const RequestContext& ctx,
                               std::function<bool(size_t)> fn, size_t needed,
                               const std::vector<bool>* taking_part,
                               std::function<WorkerPool::Attempt(size_t)> attempt);

// See ErasureSet::fan_out_all.
std::vector<char> CleanupFanOut(const FanOutDrives& on, std::function<bool(size_t)> fn);

}  // namespace flashstor::object::internal
