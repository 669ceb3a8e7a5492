// ErasureCodec: Reed-Solomon (ISA-L) encoding and reconstruction of one block at a time.
// The only code in Flashstor that calls ISA-L's erasure functions. Thread-safe after
// construction (encode tables are built once per (k, m)).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "flashstor/common/status.h"

namespace flashstor::erasure {

class ErasureCodec {
 public:
  // 1 <= data_shards, 0 <= parity_shards, data_shards + parity_shards <= 32.
  static Result<std::shared_ptr<const ErasureCodec>> Create(int data_shards, int parity_shards);

  int data_shards() const { return k_; }
  int parity_shards() const { return m_; }
  int total_shards() const { return k_ + m_; }

  // Bytes each shard holds for a block of block_bytes (ceil(block_bytes / k)).
  static size_t ShardSize(size_t block_bytes, int data_shards);

  // shards[0..k) hold the block split in order (the last one zero-padded), each shard_size
  // bytes; fills shards[k..k+m). All spans have equal size.
  Status encode(std::span<const std::span<uint8_t>> shards) const;

  // Rebuilds every shard whose present[i] is false, using any k present ones. Fails with
  // kReadQuorum when fewer than k are present.
  Status reconstruct(std::span<const std::span<uint8_t>> shards,
                     std::span<const bool> present) const;

  // Like reconstruct but rebuilds data shards only (what a GET needs).
  Status reconstruct_data(std::span<const std::span<uint8_t>> shards,
                          std::span<const bool> present) const;

 private:
  ErasureCodec(int k, int m);
  int k_, m_;
  std::vector<uint8_t> encode_matrix_;  // (k + m) x k
  std::vector<uint8_t> encode_tables_;  // k * m * 32
};

}  // namespace flashstor::erasure
