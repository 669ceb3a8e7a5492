// Shard I/O shared by the write, read and heal paths: block geometry of the bitrot-protected
// shard files (per block: 12-byte digest, then the shard), encoding a block into digest-
// prefixed shard buffers, parallel shard writers, and reading one block back from any k
// verified shards. Private to the object area.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "flashstor/erasure/bitrot.h"
#include "flashstor/erasure/codec.h"
#include "flashstor/object/object_metadata.h"
#include "flashstor/object/worker_pool.h"
#include "flashstor/storage/storage_api.h"

namespace flashstor::object::internal {

inline constexpr size_t kDigestSize = erasure::kBitrotDigestSize;

struct Geometry {
  uint64_t block_size = 0;
  int k = 1;

  size_t full_shard() const { return erasure::ErasureCodec::ShardSize(block_size, k); }
  uint64_t blocks(uint64_t part_size) const { return (part_size + block_size - 1) / block_size; }
  size_t block_bytes(uint64_t part_size, uint64_t b) const {
    uint64_t start = b * block_size;
    return static_cast<size_t>(std::min<uint64_t>(block_size, part_size - start));
  }
  size_t shard_size(uint64_t part_size, uint64_t b) const {
    return erasure::ErasureCodec::ShardSize(block_bytes(part_size, b), k);
  }
  uint64_t file_offset(uint64_t b) const { return b * (kDigestSize + full_shard()); }
  // Size of one drive's shard file for a part of part_size bytes.
  uint64_t file_size(uint64_t part_size) const;
};

// Name of a part's shard file inside a data dir: "part.N".
std::string PartFile(int part_number);
// "%d.<uuid>".
std::string DataDirName(std::string_view uuid);

// Encodes block into k + m buffers laid out digest + shard (resized as needed).
Status EncodeBlock(const erasure::ErasureCodec& codec, std::span<const uint8_t> block,
                   std::vector<std::vector<uint8_t>>& out);

// Writers of one part's shard files, one per set drive (drive d writes shard
// distribution[d] - 1). A drive whose write fails is dropped; the caller checks alive().
class ShardWriters {
 public:
  // Opens volume/key/file on every drive in use[d] in parallel.
  ShardWriters(WorkerPool& pool, const std::vector<storage::StorageApi*>& drives,
               const std::vector<bool>& use, std::string_view volume, std::string_view key,
               std::string_view file);
  // Writes shards[distribution[d] - 1] to drive d, in the background; wait() before reuse.
  void start_write(const std::vector<std::vector<uint8_t>>& shards,
                   const std::vector<int>& distribution);
  void wait();
  // fsync + close every alive writer in parallel.
  void close_all();
  int alive() const;
  bool ok(size_t d) const { return writers_[d] != nullptr; }
  Status first_error() const { return first_error_; }
  // Ok while at least quorum writers are alive. Otherwise kDiskFull when the drives that ran
  // out of space cost the quorum (507: retrying cannot help), else kWriteQuorum (503).
  Status quorum_status(int quorum) const;

 private:
  void drop(size_t d, const Status& s);
  WorkerPool& pool_;
  std::vector<std::unique_ptr<storage::FileWriter>> writers_;
  std::shared_ptr<WorkerPool::Batch> batch_;
  std::function<void(size_t)> task_;
  std::mutex mu_;
  Status first_error_;
  int full_ = 0;  // writers dropped with kDiskFull
};

// Where an object's shards live.
struct ObjectLocation {
  std::string volume;
  std::string key;
  std::string data_dir;  // uuid; empty: inline
};

// One shard's source for reads: a drive's file (opened lazily per part) or its inline bytes.
struct ShardSlot {
  storage::StorageApi* drive = nullptr;  // null: no drive holds this shard in the quorum
  std::string inline_data;
  std::unique_ptr<storage::FileReader> file;
  int open_part = 0;
  bool failed = false;
  int drive_index = -1;  // position in the set
};

// Reads and verifies one shard block (digest + shard_size bytes at file_offset) into out.
// kCorrupt on a digest mismatch or short read.
Status ReadShardBlock(ShardSlot& slot, const ObjectLocation& loc, int part_number,
                      uint64_t file_offset, std::span<uint8_t> out);

// Reads verified shard blocks of block b until k are good (data shards first, or every
// usable shard when all is set); good[j] tells which. Failing slots are marked failed.
// shards is resized to k + m buffers of digest + shard. Returns the number of good shards.
size_t ReadShards(WorkerPool& pool, const erasure::ErasureCodec& codec,
                  std::vector<ShardSlot>& slots, const ObjectLocation& loc, const Geometry& geo,
                  const PartMeta& part, uint64_t b, std::vector<std::vector<uint8_t>>& shards,
                  std::vector<char>& good, bool all);

// Reads block b from any k verified shards and rebuilds every other shard with its digest
// (what heal writes). kReadQuorum when fewer than k are readable.
Status ReadStripe(WorkerPool& pool, const erasure::ErasureCodec& codec,
                  std::vector<ShardSlot>& slots, const ObjectLocation& loc, const Geometry& geo,
                  const PartMeta& part, uint64_t b, std::vector<std::vector<uint8_t>>& shards);

// Reads block b of a part into data (block_bytes) from any k verified shards, data shards
// first, reconstructing as needed. slots are indexed by shard index; failing slots are
// marked failed. kReadQuorum when fewer than k shards could be read. shards is scratch
// space (k + m buffers).
Status ReadBlock(WorkerPool& pool, const erasure::ErasureCodec& codec,
                 std::vector<ShardSlot>& slots, const ObjectLocation& loc, const Geometry& geo,
                 const PartMeta& part, uint64_t b, std::vector<std::vector<uint8_t>>& shards,
                 std::span<uint8_t> data);

}  // namespace flashstor::object::internal
