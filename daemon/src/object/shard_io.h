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
#include "flashstor/mem/shard_buffer.h"
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

// Encodes block into k + m buffers laid out digest + shard (resized as needed), after `lead`
// bytes of room (ShardWriters::lead).
Status EncodeBlock(const erasure::ErasureCodec& codec, std::span<const uint8_t> block,
                   std::vector<mem::ShardBuffer>& out, size_t lead = 0);

// Writers of one part's shard files, one per set drive (drive d writes shard
// distribution[d] - 1). A drive whose write fails is dropped; the caller checks alive().
//
// Every step (create, each block's writes, close) is a quorum fan-out (WorkerPool::
// run_quorum): it returns once `needed` drives answered it (plus a grace), and a drive that
// did not is dropped like one that failed: the object is then incomplete there and the
// caller queues a heal. Each drive's writer, and the shard buffer it is writing, belong to a
// DriveWriter its tasks share, never to the caller: start_write swaps the caller's shard
// buffers with the ones the drives finished, so a dropped drive's task keeps writing its own
// buffer into its own temp file (which its writer removes when it is dropped, never closed);
// only the commit, which skips dropped drives, makes the data visible.
class ShardWriters {
 public:
  // Writes volume/key/file on every drive in use[d]. Each drive creates the file in the task
  // of its first write (a failed create drops it there, as a failed write does); only when a
  // drive is left out as stuck are the files created here first, in one fan-out, so the stuck
  // drive can still be tried when the others fall short. needed: the drives each step
  // waits for (a write quorum; every drive in use for heal). stragglers (the set's, may be
  // null): a drive with an abandoned call still running is left out while the others can
  // reach needed. deadline: the request's (RequestContext::deadline); every step's fan-out
  // settles by then with the drives that answered, or at once when cancel fires.
  ShardWriters(
      WorkerPool& pool,
      const std::shared_ptr<const std::vector<std::shared_ptr<storage::StorageApi>>>& drives,
      const std::vector<bool>& use, std::string_view volume, std::string_view key,
      std::string_view file, size_t needed,
      std::shared_ptr<WorkerPool::Stragglers> stragglers = nullptr,
      std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max(),
      task::CancelToken cancel = {});
  ~ShardWriters();  // the shard buffers go back to mem::ShardBuffers() (~DriveWriter)
  ShardWriters(const ShardWriters&) = delete;
  ShardWriters& operator=(const ShardWriters&) = delete;
  // The deadline of the steps from now on (a write's block was read after the last one's
  // started: it gets its own allowance, RequestContext::step_deadline).
  void set_deadline(std::chrono::steady_clock::time_point deadline) { deadline_ = deadline; }
  // Writes shards[distribution[d] - 1] to drive d, in the background; wait() before reuse.
  // The buffers of shards are exchanged with the drives' previous ones. Each shard's bytes
  // start `lead` bytes into its buffer (digest, then shard), after room the drive may
  // overwrite (FileWriter::write_in_place); lead() is the room that lets it write them from
  // the buffer itself.
  // last: the file's last block; each drive closes (fsyncs) its file in the same task, so a
  // one-block PUT hands each drive one task for its writes, not two, and close_all finds
  // nothing left to do.
  void start_write(std::vector<mem::ShardBuffer>& shards, const std::vector<int>& distribution,
                   size_t lead = 0, bool last = false);
  // The room in front of the next block's shards that puts them where the drives write
  // straight from a page-aligned buffer: the shard files' length so far, past their last
  // whole page (a block is digest and shard, so after the first one the files end off a page).
  size_t lead() const { return static_cast<size_t>(file_bytes_ % mem::kPageBytes); }
  void wait();
  // fsync + close every alive writer its last write did not close, in parallel.
  void close_all();
  int alive() const;
  bool ok(size_t d) const { return writers_[d] != nullptr; }
  Status first_error() const { return first_error_; }
  // Ok while at least quorum writers are alive. Otherwise kDiskFull when the drives that ran
  // out of space cost the quorum (507: retrying cannot help), else kWriteQuorum (503).
  Status quorum_status(int quorum) const;

  struct DriveWriter;  // one drive's writer and buffer, shared with its tasks
  struct Target {      // the file every drive writes
    std::string volume, key, file;
  };

 private:
  void drop(size_t d, Status s);  // s by value: it may live in the writer being dropped
  WorkerPool::QuorumPolicy policy() const;
  // The fan-out's answers: drives that did not answer are dropped, failures too.
  void settle(const std::vector<char>& answered);
  WorkerPool& pool_;
  std::vector<std::shared_ptr<DriveWriter>> writers_;  // null: dropped
  std::shared_ptr<const Target> target_;
  size_t needed_;
  std::shared_ptr<WorkerPool::Stragglers> stragglers_;
  std::chrono::steady_clock::time_point deadline_;
  task::CancelToken cancel_;
  std::shared_ptr<WorkerPool::FanOut> writing_;
  Status first_error_;
  int full_ = 0;             // writers dropped with kDiskFull
  uint64_t file_bytes_ = 0;  // each shard file's length once the started writes are done
};

// Where an object's shards live.
struct ObjectLocation {
  std::string volume;
  std::string key;
  std::string data_dir;  // uuid; empty: inline
};

// One shard's source for reads: a drive's file (opened lazily per part) or its inline bytes.
// drive and file are shared: a GET's shard read that did not answer in time keeps them
// alive on its pool thread after the GET moved on (worker_pool.h's ownership rule).
struct ShardSlot {
  std::shared_ptr<storage::StorageApi> drive;  // null: no drive holds this shard in the quorum
  std::string inline_data;
  std::shared_ptr<storage::FileReader> file;
  int open_part = 0;
  bool failed = false;
  bool late = false;     // a read did not answer in time: skipped by this reader, not healed
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
                  const PartMeta& part, uint64_t b, std::vector<mem::ShardBuffer>& shards,
                  std::vector<char>& good, bool all);

// Reads block b from any k verified shards and rebuilds every other shard with its digest
// (what heal writes). kReadQuorum when fewer than k are readable.
Status ReadStripe(WorkerPool& pool, const erasure::ErasureCodec& codec,
                  std::vector<ShardSlot>& slots, const ObjectLocation& loc, const Geometry& geo,
                  const PartMeta& part, uint64_t b, std::vector<mem::ShardBuffer>& shards);

// Reads block b of a part from any k verified shards, data shards first, reconstructing
// missing data shards as needed. On success the block (block_bytes) is the payloads of
// shards[0..k) (each digest + shard_size bytes) one after the other, the last one cut at the
// block's end: the caller reads it from there, with no copy into a block buffer. Parity
// buffers that were not read may be left empty. slots are indexed by shard index; failing
// slots are marked failed. kReadQuorum when fewer than k shards could be read. shards is
// kept between calls (k + m buffers), so a reader's later blocks reuse them.
//
// The drive reads are a quorum fan-out (WorkerPool::run_quorum): a read that has not
// answered when the others of its wave have (plus a grace) is left behind, its slot marked
// late, and a parity shard is read in its place; its answer, whenever it comes, is dropped
// with the buffer it owns. stragglers (the set's, by drive index; may be null) counts such
// reads still running, and a slot whose drive has one is tried last. deadline: the request's;
// each wave settles by then with what answered (kReadQuorum when that is not k shards), or at
// once when cancel (the request's token) fires.
Status ReadBlock(
    WorkerPool& pool, const erasure::ErasureCodec& codec, std::vector<ShardSlot>& slots,
    const ObjectLocation& loc, const Geometry& geo, const PartMeta& part, uint64_t b,
    std::vector<mem::ShardBuffer>& shards,
    const std::shared_ptr<WorkerPool::Stragglers>& stragglers = nullptr,
    std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max(),
    const task::CancelToken& cancel = {});

}  // namespace flashstor::object::internal
