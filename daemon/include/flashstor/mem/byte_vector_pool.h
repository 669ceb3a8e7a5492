// ByteVectorPool: byte vectors kept between requests with their size, so a request that takes
// one faults in no fresh pages for it. Bounded by bytes; the server empties it when it goes
// idle (IdleTrim::on_trim), so it holds memory only while requests come. GETs and PUTs take
// their shard buffers from ShardBuffers(), so a large buffer one request frees is the next
// one's, whichever thread's malloc arena it came from.
#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <vector>

#include "flashstor/mem/shard_buffer.h"

namespace flashstor::mem {

class ByteVectorPool {
 public:
  explicit ByteVectorPool(size_t max_bytes) : max_bytes_(max_bytes) {}
  ByteVectorPool(const ByteVectorPool&) = delete;
  ByteVectorPool& operator=(const ByteVectorPool&) = delete;

  // A vector of exactly size bytes, contents unspecified (ShardBuffer's resize zeroes
  // nothing): a kept one when one is large enough, else a new one with room for a page more.
  ShardBuffer take(size_t size);
  // Keeps v for a later take() while the pool is under its bound and v holds at least
  // kPooledMin bytes; else frees it.
  void give(ShardBuffer&& v);
  // give() of each of vs (a stripe's shards at the end of a read or write); vs keeps its size.
  void give_all(std::vector<ShardBuffer>& vs);
  // Sizes v to size bytes, contents unspecified: in place when its capacity suffices, else a
  // pool vector takes its place (its old buffer goes to the pool if at least kPooledMin).
  // Below kPooledMin bytes it is resized in place: the pool is for shard buffers.
  static constexpr size_t kPooledMin = 64u << 10;
  void fit(ShardBuffer& v, size_t size);
  void clear();
  size_t bytes() const;
  // The bound from now on, for the vectors given from now on (the kept ones stay until
  // taken or cleared).
  void set_max_bytes(size_t max_bytes);

 private:
  size_t max_bytes_;  // guarded by mu_
  mutable std::mutex mu_;
  std::vector<ShardBuffer> free_;
  size_t bytes_ = 0;  // capacity of the kept vectors
};

// Shard buffers of GETs (object/shard_io.cc) and PUTs (object/erasure_set_write.cc, given
// back by the drive writers): bounded by 8 MiB until the server sets it from its request
// memory budget (server.cc), so a steady load maps no new shard buffers.
ByteVectorPool& ShardBuffers();

}  // namespace flashstor::mem
