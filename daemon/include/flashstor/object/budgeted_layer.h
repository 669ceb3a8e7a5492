// BudgetedLayer: an ObjectLayer decorator that makes large reads and writes take a grant of
// the request memory budget (task/memory_budget.h) for the buffers the engine will hold, and
// answers 503 SlowDown when none is free within the admission deadline. Small objects, whose
// buffers fit in the connection's arena, need no grant, so a flood of large requests cannot
// starve them.
#pragma once

#include <chrono>
#include <cstdint>

#include "flashstor/object/forwarding_layer.h"
#include "flashstor/task/memory_budget.h"

namespace flashstor::object {

class BudgetedLayer final : public ForwardingLayer {
 public:
  BudgetedLayer(ObjectLayer& inner, task::MemoryBudget& budget, std::chrono::milliseconds wait);

  // Bytes of buffers a GET of size bytes (-1: unknown) holds at most: one erasure stripe of
  // data and parity blocks plus a copy buffer; 0 below kUnbudgetedBytes.
  static uint64_t BufferBytes(int64_t size);
  // Bytes of buffers a PUT (or part) of size bytes (-1: unknown) holds at most: below a
  // block, the body's block buffer and one stripe of data and parity shards (parity <= data);
  // from a block on, announced, the body is read straight into the stripes: one for a body of
  // one block, two for a longer one (the drives write one while the next block is read), plus
  // the last short block gathered. 0 below kUnbudgetedBytes.
  static uint64_t PutBufferBytes(int64_t size);
  static constexpr uint64_t kUnbudgetedBytes = 256 * 1024;

  Result<ObjectInfo> put_object(const RequestContext& ctx, std::string_view bucket,
                                std::string_view key, hash::HashingSource& body, int64_t size,
                                const PutOptions& options) override;
  Result<std::unique_ptr<ObjectReader>> open_object(const RequestContext& ctx,
                                                    std::string_view bucket, std::string_view key,
                                                    std::string_view version_id = {}) override;
  Result<PartInfo> put_object_part(const RequestContext& ctx, std::string_view bucket,
                                   std::string_view key, std::string_view upload_id,
                                   int part_number, hash::HashingSource& body, int64_t size,
                                   const PartOptions& options = {}) override;

 private:
  // Waits up to wait_, or until ctx's token fires (kCancelled).
  Status take(const RequestContext& ctx, uint64_t bytes, task::MemoryBudget::Grant& grant);
  // take() once the body's first bytes have arrived (HashingSource::prefetch).
  Status take_for_body(const RequestContext& ctx, hash::HashingSource& body, uint64_t bytes,
                       task::MemoryBudget::Grant& grant);

  task::MemoryBudget& budget_;
  std::chrono::milliseconds wait_;
};

}  // namespace flashstor::object
