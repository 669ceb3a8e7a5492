// ErasureObjectReader: the pull-based ObjectReader of one erasure-coded object. Decodes one
// block at a time into its recycled shard buffers and reads from the data shards (memory: one
// stripe of shards, the parity ones only when a data shard was missing), reading only the
// blocks that cover the requested range.
#pragma once

#include <functional>
#include <memory>
#include <string_view>
#include <vector>

#include "flashstor/object/namespace_lock.h"
#include "flashstor/object/object_layer.h"
#include "flashstor/object/object_metadata.h"
#include "shard_io.h"

namespace flashstor::object::internal {

class ErasureObjectReader final : public ObjectReader {
 public:
  // slots are indexed by shard index. on_degraded(loc.volume, loc.key) runs once when a shard
  // failed: it gets the names from the reader, so it need not hold copies of its own (one
  // heap-allocated std::function and two strings fewer per GET). lock (the
  // key's read lock, or none) is released once the last byte of the range was read.
  // ctx: the request's; the reader keeps a copy of its deadline and rate (it outlives the
  // open_object call): the shard reads of the block at byte n of the range settle by
  // ctx.deadline_after(n).
  ErasureObjectReader(ObjectInfo info, ObjectMeta meta, std::vector<ShardSlot> slots,
                      ObjectLocation loc, WorkerPool& pool,
                      std::shared_ptr<const erasure::ErasureCodec> codec,
                      std::function<void(std::string_view, std::string_view)> on_degraded,
                      NamespaceLock::Guard lock, std::shared_ptr<WorkerPool::Stragglers> stragglers,
                      const RequestContext& ctx);
  ~ErasureObjectReader() override;

  // Decodes the first block now, so an unreadable object fails open_object (and the S3 layer
  // can still answer with an error status) instead of breaking the body after the headers.
  // A later set_range elsewhere just moves on (one block decoded for nothing).
  Status prefetch();

  const ObjectInfo& info() const override { return info_; }
  void set_range(uint64_t offset, uint64_t length) override;
  Result<size_t> read(std::span<char> out) override;
  bool lends_buffers() const override { return true; }
  Result<std::span<const char>> lend(size_t max) override;

 private:
  Status load_block(uint64_t pos);

  ObjectInfo info_;
  ObjectMeta meta_;
  std::vector<ShardSlot> slots_;
  ObjectLocation loc_;
  WorkerPool& pool_;
  std::shared_ptr<const erasure::ErasureCodec> codec_;
  std::function<void(std::string_view, std::string_view)> on_degraded_;
  Geometry geo_;
  std::vector<uint64_t> part_starts_;
  uint64_t pos_ = 0;
  uint64_t end_ = 0;
  uint64_t block_start_ = 0;
  size_t block_len_ = 0;
  size_t block_shard_ = 1;  // the loaded block's shard size: block byte i is in shard i / it
  bool block_valid_ = false;
  std::vector<mem::ShardBuffer> shards_;
  Status error_;
  NamespaceLock::Guard lock_;  // the key's read lock while the range is being read
  std::shared_ptr<WorkerPool::Stragglers> stragglers_;  // the set's, by drive
  RequestContext timing_;     // the request's deadline, rate and token (no strings to copy)
  uint64_t range_start_ = 0;  // set_range's offset: deadlines count bytes from there
};

}  // namespace flashstor::object::internal
