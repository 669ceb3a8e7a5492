// ByteVectorPool: byte vectors kept between requests with their size, so a request that takes
// one neither zeroes it (vector::resize value-initialises every byte) nor faults in fresh pages
// for it. Bounded by bytes; the server empties it when it goes idle (IdleTrim::on_trim), so it
// holds memory
// only while requests come. GETs take their shard buffers from ShardBuffers().
#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <vector>

namespace flashstor::mem {

class ByteVectorPool {
 public:
  explicit ByteVectorPool(size_t max_bytes) : max_bytes_(max_bytes) {}
  ByteVectorPool(const ByteVectorPool&) = delete;
  ByteVectorPool& operator=(const ByteVectorPool&) = delete;

  // A vector of exactly size bytes, contents unspecified: a kept one when one is large enough
  // (only bytes beyond its old size are zeroed), else a new one.
  std::vector<uint8_t> take(size_t size);
  // Keeps v for a later take() while the pool is under its bound; else frees it.
  void give(std::vector<uint8_t>&& v);
  void clear();
  size_t bytes() const;

 private:
  const size_t max_bytes_;
  mutable std::mutex mu_;
  std::vector<std::vector<uint8_t>> free_;
  size_t bytes_ = 0;  // capacity of the kept vectors
};

// GET shard buffers (object/shard_io.cc): 4 MiB, two readers' stripes of 2 x 1 MiB blocks.
ByteVectorPool& ShardBuffers();

}  // namespace flashstor::mem
