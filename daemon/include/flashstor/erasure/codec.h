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

// Upper bound on data + parity shards of one erasure set.
inline constexpr int kMaxTotalShards = 32;

// The encode matrix is ISA-L's gf_gen_cauchy1_matrix: identity on top (data shards are the
// block itself), Cauchy rows below, so every k x k submatrix is invertible and any k shards
// rebuild the rest. It is part of the on-disk format: changing it makes existing parity
// unreadable.
// Process-wide totals of the codec's work, for metrics: time spent in ISA-L and data bytes
// processed (encode: data shards in; reconstruct: the stripe's data bytes). Relaxed atomics.
struct CodecTotals {
  uint64_t encode_ns = 0, encode_bytes = 0, encode_calls = 0;
  uint64_t decode_ns = 0, decode_bytes = 0, decode_calls = 0;
};
CodecTotals ReadCodecTotals();

class ErasureCodec {
 public:
  // 1 <= data_shards, 0 <= parity_shards, data_shards + parity_shards <= kMaxTotalShards.
  // kInvalidArgument otherwise. Codecs are cached process-wide by (k, m): every call with
  // the same pair returns the same object, so callers need not keep their own.
  static Result<std::shared_ptr<const ErasureCodec>> Create(int data_shards, int parity_shards);

  int data_shards() const { return k_; }
  int parity_shards() const { return m_; }
  int total_shards() const { return k_ + m_; }

  // Bytes each shard holds for a block of block_bytes (ceil(block_bytes / k)); 0 for an empty
  // block or data_shards < 1.
  static size_t ShardSize(size_t block_bytes, int data_shards);

  // shards[0..k) hold the block split in order (the last one zero-padded), each shard_size
  // bytes; fills shards[k..k+m). All spans have equal size (at most INT_MAX bytes) and
  // shards.size() == k + m, else kInvalidArgument. With m == 0 this only validates.
  Status encode(std::span<const std::span<uint8_t>> shards) const;

  // Rebuilds every shard whose present[i] is false (data and parity), using the first k
  // present ones. present.size() == shards.size() == k + m and equal span sizes, else
  // kInvalidArgument. Fails with kReadQuorum, touching nothing, when fewer than k are present.
  Status reconstruct(std::span<const std::span<uint8_t>> shards,
                     std::span<const bool> present) const;

  // Like reconstruct but rebuilds data shards only (what a GET needs); missing parity
  // shards are left as they are.
  Status reconstruct_data(std::span<const std::span<uint8_t>> shards,
                          std::span<const bool> present) const;

 private:
  ErasureCodec(int k, int m);
  Status check_shards(std::span<const std::span<uint8_t>> shards) const;
  Status rebuild(std::span<const std::span<uint8_t>> shards, std::span<const bool> present,
                 bool parity_too) const;

  int k_, m_;
  std::vector<uint8_t> encode_matrix_;  // (k + m) x k
  std::vector<uint8_t> encode_tables_;  // k * m * 32
};

// Copies block into data_shards (k spans of equal size ShardSize(block.size(), k)), in order,
// zero-filling what follows the block's last byte. kInvalidArgument on any size mismatch.
Status SplitBlock(std::span<const uint8_t> block, std::span<const std::span<uint8_t>> data_shards);

// The inverse: copies the first block.size() bytes of the concatenated data shards into
// block. Shards must have equal size ShardSize(block.size(), data_shards.size()).
Status JoinBlock(std::span<const std::span<uint8_t>> data_shards, std::span<uint8_t> block);

}  // namespace flashstor::erasure
