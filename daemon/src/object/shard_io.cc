// Shard I/O: block encoding with bitrot digests, parallel shard writers, and block reads
// from any k verified shards with reconstruction.
#include "shard_io.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <cstring>

#include "flashstor/mem/byte_vector_pool.h"

namespace flashstor::object::internal {

uint64_t Geometry::file_size(uint64_t part_size) const {
  uint64_t n = blocks(part_size);
  if (n == 0) return 0;
  return (n - 1) * (kDigestSize + full_shard()) + kDigestSize + shard_size(part_size, n - 1);
}

std::string PartFile(int part_number) {
  return "part." + std::to_string(part_number);
}

std::string DataDirName(std::string_view uuid) {
  return std::string(storage::kDataDirPrefix) + std::string(uuid);
}

Status EncodeBlock(const erasure::ErasureCodec& codec, std::span<const uint8_t> block,
                   std::vector<mem::ShardBuffer>& out, size_t lead) {
  const int k = codec.data_shards();
  const size_t total = static_cast<size_t>(codec.total_shards());
  const size_t shard = erasure::ErasureCodec::ShardSize(block.size(), k);
  out.resize(total);
  std::vector<std::span<uint8_t>> spans(total);
  for (size_t j = 0; j < total; ++j) {
    mem::ShardBuffers().fit(out[j], lead + kDigestSize + shard);
    spans[j] = std::span<uint8_t>(out[j]).subspan(lead + kDigestSize);
  }
  FS_RETURN_IF_ERROR(erasure::SplitBlock(block, std::span(spans).first(static_cast<size_t>(k))));
  FS_RETURN_IF_ERROR(codec.encode(spans));
  for (size_t j = 0; j < total; ++j) {
    erasure::BitrotDigest d = erasure::BitrotHash(spans[j]);
    std::memcpy(out[j].data() + lead, d.data(), kDigestSize);
  }
  return Status::Ok();
}

struct ShardWriters::DriveWriter {
  std::shared_ptr<storage::StorageApi> drive;
  std::unique_ptr<storage::FileWriter> writer;
  mem::ShardBuffer buf;  // the shard being written, `lead` bytes into it
  size_t lead = 0;
  bool close_after = false;  // the write is the file's last: close it too
  bool closed = false;
  // Set when the fan-out gave up on this drive (settle): its task still running leaves the
  // file unclosed, so the writer's destructor removes it, instead of creating, fsyncing and
  // keeping a shard nothing commits in tmp/ until the drive is next opened.
  std::atomic<bool> abandoned{false};
  Status status;  // the last step's answer
  // The buffer goes back to the pool for the next request's stripes: from the drive task once
  // the file's last block or an abandoned one is written (start_write), else from whichever
  // holds the writer last (the fan-out's function holds every writer until its tasks end).
  ~DriveWriter() { mem::ShardBuffers().give(std::move(buf)); }
};

namespace {
// A healthy drive left behind costs a heal, a hung one costs the grace once (then it is a
// straggler and skipped): so the grace of a write is generous.
constexpr std::chrono::microseconds kWriteMinGrace{10'000};
constexpr std::chrono::microseconds kWriteMaxGrace{100'000};
// How long a write waits for the drives it skipped as stuck, once the others fell short of
// the quorum: a slow drive answers within it, a hung one fails the write in time.
constexpr std::chrono::microseconds kSkippedDriveWait{1'000'000};

// A drive task's first step: false when the fan-out gave up on the drive (its task then
// touches nothing more) or the drive refused the file (w.status says why); else w's file
// exists, created here unless it had one.
bool EnsureCreated(ShardWriters::DriveWriter& w, const ShardWriters::Target& target) {
  if (w.abandoned.load(std::memory_order_acquire)) return false;
  if (w.writer != nullptr) return true;
  auto created = w.drive->create_file(target.volume, target.key, target.file);
  if (!created) {
    w.status = created.error();
    return false;
  }
  w.writer = std::move(*created);
  w.status = Status::Ok();
  return true;
}

// Creates the file on every drive with a writer in `writers`, in one fan-out under policy.
std::vector<char> CreateOn(WorkerPool& pool,
                           const std::vector<std::shared_ptr<ShardWriters::DriveWriter>>& writers,
                           const std::shared_ptr<const ShardWriters::Target>& target,
                           const WorkerPool::QuorumPolicy& policy) {
  return pool.run_quorum(
      writers.size(),
      [target, writers](size_t d) {
        return writers[d] != nullptr && EnsureCreated(*writers[d], *target);
      },
      policy);
}

}  // namespace

ShardWriters::ShardWriters(
    WorkerPool& pool,
    const std::shared_ptr<const std::vector<std::shared_ptr<storage::StorageApi>>>& drives,
    const std::vector<bool>& use, std::string_view volume, std::string_view key,
    std::string_view file, size_t needed, std::shared_ptr<WorkerPool::Stragglers> stragglers,
    std::chrono::steady_clock::time_point deadline, task::CancelToken cancel)
    : pool_(pool),
      writers_(drives->size()),
      needed_(needed),
      stragglers_(std::move(stragglers)),
      deadline_(deadline),
      cancel_(std::move(cancel)) {
  const size_t n = drives->size();
  std::vector<char> skip(n, 0);
  size_t usable = 0;
  for (size_t d = 0; d < n; ++d) {
    skip[d] = stragglers_ != nullptr && stragglers_->stuck(d);
    // A drive that just answered kDiskFull is not counted on: its create may succeed and its
    // writes fail, too late to try the stuck drive instead.
    const bool full = stragglers_ != nullptr && stragglers_->recently_full(d);
    usable += use[d] && (*drives)[d] != nullptr && skip[d] == 0 && !full;
  }
  if (usable < needed_) skip.assign(n, 0);  // a stuck drive may still make the quorum
  std::vector<std::shared_ptr<DriveWriter>> skipped(n);
  bool any_skipped = false;
  for (size_t d = 0; d < n; ++d) {
    if (!use[d] || (*drives)[d] == nullptr) continue;
    auto w = std::make_shared<DriveWriter>();
    w->drive = (*drives)[d];
    (skip[d] != 0 ? skipped[d] : writers_[d]) = std::move(w);
    any_skipped |= skip[d] != 0;
  }
  target_ = std::make_shared<const Target>(
      Target{std::string(volume), std::string(key), std::string(file)});
  // Every drive counted on: each creates its file in the task of its first write (or of
  // close_all, for a file with no block), one hand-off a drive fewer.
  if (!any_skipped) return;
  settle(CreateOn(pool_, writers_, target_, policy()));
  // The drives left out for a stuck call are tried after all when the others fell short of
  // needed (one was full or failed): a slow drive then costs this write some time, not its
  // quorum. One that does not answer within kSkippedDriveWait is left out as before.
  if (!any_skipped || static_cast<size_t>(alive()) >= needed_ || cancel_.cancelled()) return;
  WorkerPool::QuorumPolicy retry = policy();
  retry.needed = needed_ - static_cast<size_t>(alive());
  retry.max_wait = kSkippedDriveWait;
  const std::vector<char> answered = CreateOn(pool_, skipped, target_, retry);
  for (size_t d = 0; d < n; ++d) {
    if (skipped[d] == nullptr || !answered[d]) continue;  // unanswered: its task owns it
    if (skipped[d]->status.ok()) {
      writers_[d] = std::move(skipped[d]);
    } else {
      drop(d, skipped[d]->status);  // writers_[d] is empty: counts the error only
    }
  }
}

WorkerPool::QuorumPolicy ShardWriters::policy() const {
  WorkerPool::QuorumPolicy p;
  p.needed = needed_;
  p.grace_factor = 2.0;
  p.min_grace = kWriteMinGrace;
  p.max_grace = kWriteMaxGrace;
  p.deadline = deadline_;
  p.cancel = cancel_;
  if (stragglers_ != nullptr && stragglers_->size() == writers_.size()) p.stragglers = stragglers_;
  return p;
}

void ShardWriters::settle(const std::vector<char>& answered) {
  for (size_t d = 0; d < writers_.size(); ++d) {
    if (writers_[d] == nullptr) continue;
    if (!answered[d]) {
      // Its task still runs and owns the writer: the caller lets go of it.
      writers_[d]->abandoned.store(true, std::memory_order_release);
      writers_[d].reset();
      if (first_error_.ok())
        first_error_ = Status(Code::kDiskNotFound, "drive did not answer in time");
      continue;
    }
    if (!writers_[d]->status.ok()) drop(d, writers_[d]->status);
  }
}

void ShardWriters::drop(size_t d, Status s) {
  writers_[d].reset();  // removes the partial file
  if (first_error_.ok()) first_error_ = s;
  if (s == Code::kDiskFull) {
    ++full_;
    if (stragglers_ != nullptr && d < stragglers_->size()) stragglers_->note_full(d);
  }
}

ShardWriters::~ShardWriters() = default;  // each DriveWriter gives its buffer back

void ShardWriters::start_write(std::vector<mem::ShardBuffer>& shards,
                               const std::vector<int>& distribution, size_t lead, bool last) {
  wait();
  if (!shards.empty()) file_bytes_ += shards[0].size() - lead;  // a block's shards: one size
  for (size_t d = 0; d < writers_.size(); ++d) {
    if (writers_[d] != nullptr) {
      writers_[d]->buf.swap(shards[static_cast<size_t>(distribution[d] - 1)]);
      writers_[d]->lead = lead;
      writers_[d]->close_after = last;
    }
  }
  writing_ = pool_.start_quorum(
      writers_.size(),
      [writers = writers_, target = target_](size_t d) {
        if (writers[d] == nullptr) return false;
        DriveWriter& w = *writers[d];
        if (!EnsureCreated(w, *target)) return false;
        w.status = w.writer->write_in_place(w.buf, w.lead);
        // The file's last block, or one the request no longer waits for: its buffer is
        // nobody's now (the writer keeps its partial page itself). It goes back before the
        // fsync, and before the other drives' tasks end: this function holds every writer
        // of the fan-out until the last task ends, so a straggler kept the whole stripe.
        if (w.close_after || w.abandoned.load(std::memory_order_acquire)) {
          mem::ShardBuffers().give(std::move(w.buf));
          w.buf = {};
        }
        if (w.status.ok() && w.close_after && !w.abandoned.load(std::memory_order_acquire)) {
          w.status = w.writer->close();
          w.closed = w.status.ok();
        }
        return w.status.ok();
      },
      policy());
}

void ShardWriters::wait() {
  if (writing_ == nullptr) return;
  auto fan_out = std::move(writing_);
  writing_.reset();
  settle(fan_out->wait());
}

void ShardWriters::close_all() {
  wait();
  bool open = false;
  for (const auto& w : writers_) open |= w != nullptr && !w->closed;
  if (!open) return;  // the last write closed every file
  std::vector<char> answered = pool_.run_quorum(
      writers_.size(),
      [writers = writers_, target = target_](size_t d) {
        if (writers[d] == nullptr) return false;
        DriveWriter& w = *writers[d];
        if (w.closed) return true;
        if (!EnsureCreated(w, *target)) return false;
        w.status = w.writer->close();
        return w.status.ok();
      },
      policy());
  settle(answered);
}

int ShardWriters::alive() const {
  int n = 0;
  for (const auto& w : writers_) n += w != nullptr;
  return n;
}

Status ShardWriters::quorum_status(int quorum) const {
  const int live = alive();
  if (live >= quorum) return Status::Ok();
  if (live + full_ >= quorum) return Status(Code::kDiskFull, "drives full");
  return Status(Code::kWriteQuorum, "too many drives failed");
}

namespace {

Status VerifyShardBlock(std::span<const uint8_t> block) {
  erasure::BitrotDigest expected;
  std::memcpy(expected.data(), block.data(), kDigestSize);
  if (!erasure::BitrotVerify(block.subspan(kDigestSize), expected)) {
    return Status(Code::kCorrupt, "bitrot digest mismatch");
  }
  return Status::Ok();
}

// Reads one shard block of a data dir's part file, opening the file first unless file is
// already that part's. cached: from the kernel's caches only, else kWouldBlock (a file it
// opened stays open for the blocking read made instead).
Status ReadFileBlock(storage::StorageApi& drive, std::shared_ptr<storage::FileReader>& file,
                     int& open_part, const ObjectLocation& loc, int part_number,
                     uint64_t file_offset, std::span<uint8_t> out, bool cached = false) {
  if (file == nullptr || open_part != part_number) {
    file.reset();
    std::string name = DataDirName(loc.data_dir) + "/" + PartFile(part_number);
    auto f = cached ? drive.open_file_cached(loc.volume, loc.key, name)
                    : drive.open_file(loc.volume, loc.key, name);
    if (!f) return f.error();
    file = std::move(*f);
    open_part = part_number;
  }
  auto n = cached ? file->read_at_cached(out, file_offset) : file->read_at(out, file_offset);
  if (!n) return n.error();
  if (*n != out.size()) return Status(Code::kCorrupt, "shard file truncated");
  return VerifyShardBlock(out);
}

}  // namespace

Status ReadShardBlock(ShardSlot& slot, const ObjectLocation& loc, int part_number,
                      uint64_t file_offset, std::span<uint8_t> out) {
  if (slot.drive == nullptr || slot.failed) return Status(Code::kFileNotFound, "no shard");
  if (!loc.data_dir.empty()) {
    return ReadFileBlock(*slot.drive, slot.file, slot.open_part, loc, part_number, file_offset,
                         out);
  }
  if (file_offset + out.size() > slot.inline_data.size()) {
    return Status(Code::kCorrupt, "inline shard truncated");
  }
  std::memcpy(out.data(), slot.inline_data.data() + file_offset, out.size());
  return VerifyShardBlock(out);
}

size_t ReadShards(WorkerPool& pool, const erasure::ErasureCodec& codec,
                  std::vector<ShardSlot>& slots, const ObjectLocation& loc, const Geometry& geo,
                  const PartMeta& part, uint64_t b, std::vector<mem::ShardBuffer>& shards,
                  std::vector<char>& good, bool all) {
  const size_t k = static_cast<size_t>(codec.data_shards());
  const size_t total = static_cast<size_t>(codec.total_shards());
  const size_t shard = geo.shard_size(part.size, b);
  const uint64_t offset = geo.file_offset(b);
  shards.resize(total);
  for (auto& s : shards) mem::ShardBuffers().fit(s, kDigestSize + shard);
  good.assign(total, 0);
  // Inline storage (at most kMaxTotalShards shards): an inline object's GET reads its shards
  // here, and heap vectors per call showed up among the allocations of a small GET.
  std::array<bool, erasure::kMaxTotalShards> tried{};
  std::array<size_t, erasure::kMaxTotalShards> batch;
  size_t have = 0;
  while (all || have < k) {
    size_t batch_size = 0;
    for (size_t j = 0; j < total && (all || have + batch_size < k); ++j) {
      if (!tried[j] && slots[j].drive != nullptr && !slots[j].failed) batch[batch_size++] = j;
    }
    if (batch_size == 0) break;
    pool.run(
        batch_size,
        [&](size_t i) {
          size_t j = batch[i];
          Status s = ReadShardBlock(slots[j], loc, part.number, offset, shards[j]);
          good[j] = s.ok();
          if (!s.ok()) slots[j].failed = true;
        },
        TaskKind::kShardRead);
    for (size_t i = 0; i < batch_size; ++i) {
      const size_t j = batch[i];
      tried[j] = true;
      have += good[j] != 0;
    }
  }
  return have;
}

namespace {

Status Rebuild(const erasure::ErasureCodec& codec, std::vector<mem::ShardBuffer>& shards,
               const std::vector<char>& good, bool data_only) {
  const size_t total = static_cast<size_t>(codec.total_shards());
  std::vector<std::span<uint8_t>> spans(total);
  bool present[erasure::kMaxTotalShards];
  bool missing = false;
  for (size_t j = 0; j < total; ++j) {
    present[j] = good[j] != 0;
    missing |= !present[j] && (!data_only || j < static_cast<size_t>(codec.data_shards()));
  }
  if (!missing) return Status::Ok();  // a GET's unread parity buffers may be unsized
  for (size_t j = 0; j < total; ++j) spans[j] = std::span<uint8_t>(shards[j]).subspan(kDigestSize);
  std::span<const bool> flags(present, total);
  if (data_only) return codec.reconstruct_data(spans, flags);
  FS_RETURN_IF_ERROR(codec.reconstruct(spans, flags));
  for (size_t j = 0; j < total; ++j) {
    if (present[j]) continue;
    erasure::BitrotDigest d = erasure::BitrotHash(spans[j]);
    std::memcpy(shards[j].data(), d.data(), kDigestSize);
  }
  return Status::Ok();
}

}  // namespace

Status ReadStripe(WorkerPool& pool, const erasure::ErasureCodec& codec,
                  std::vector<ShardSlot>& slots, const ObjectLocation& loc, const Geometry& geo,
                  const PartMeta& part, uint64_t b, std::vector<mem::ShardBuffer>& shards) {
  std::vector<char> good;
  size_t have = ReadShards(pool, codec, slots, loc, geo, part, b, shards, good, false);
  if (have < static_cast<size_t>(codec.data_shards())) {
    return Status(Code::kReadQuorum, "not enough readable shards");
  }
  return Rebuild(codec, shards, good, false);
}

namespace {

// One shard read of a GET, shared with its pool task (which may outlive the GET): the task
// touches nothing else. The caller lends it the slot's open file and its shard buffer and
// takes them back only when the read answered in time.
struct ShardRead {
  std::shared_ptr<storage::StorageApi> drive;
  std::shared_ptr<storage::FileReader> file;
  int open_part = 0;
  std::shared_ptr<const ObjectLocation> loc;
  int part_number = 0;
  uint64_t offset = 0;
  mem::ShardBuffer buf;
  Status status;
};

// Shard indices of one wave in inline storage (a block has at most kMaxTotalShards shards):
// every block a GET reads makes waves, and a heap vector each showed among its allocations.
class ShardList {
 public:
  void push_back(size_t j) { at_[n_++] = j; }
  size_t size() const { return n_; }
  bool empty() const { return n_ == 0; }
  const size_t* begin() const { return at_.data(); }
  const size_t* end() const { return at_.data() + n_; }
  size_t operator[](size_t i) const { return at_[i]; }

 private:
  std::array<size_t, erasure::kMaxTotalShards> at_{};
  size_t n_ = 0;
};

// How long the re-read of shards that were late may take when nothing else is left to read.
constexpr std::chrono::milliseconds kLateRereadWait{2'000};

// ReadShards for a GET: k verified shards of block b, data shards first, at quorum.
size_t ReadShardsAtQuorum(WorkerPool& pool, const erasure::ErasureCodec& codec,
                          std::vector<ShardSlot>& slots, const ObjectLocation& loc,
                          const Geometry& geo, const PartMeta& part, uint64_t b,
                          std::vector<mem::ShardBuffer>& shards, std::vector<char>& good,
                          const std::shared_ptr<WorkerPool::Stragglers>& stragglers,
                          std::chrono::steady_clock::time_point deadline,
                          const task::CancelToken& cancel) {
  if (loc.data_dir.empty()) {  // inline: no drive to wait for
    return ReadShards(pool, codec, slots, loc, geo, part, b, shards, good, false);
  }
  const size_t k = static_cast<size_t>(codec.data_shards());
  const size_t total = static_cast<size_t>(codec.total_shards());
  const size_t shard = geo.shard_size(part.size, b);
  const uint64_t offset = geo.file_offset(b);
  shards.resize(total);
  good.assign(total, 0);
  std::array<char, erasure::kMaxTotalShards> tried{};
  std::shared_ptr<const ObjectLocation> shared_loc;
  auto usable = [&](size_t j) {
    return tried[j] == 0 && slots[j].drive != nullptr && !slots[j].failed && !slots[j].late;
  };
  auto stuck = [&](size_t j) {
    return stragglers != nullptr && slots[j].drive_index >= 0 &&
           stragglers->at(static_cast<size_t>(slots[j].drive_index)) > 0;
  };
  size_t have = 0;
  bool last_chance = false;
  while (have < k) {
    // This wave: the first k - have usable shards (data shards first), drives with a read of
    // an earlier GET still stuck last.
    ShardList wave;
    for (int pass = 0; pass < 2; ++pass) {
      for (size_t j = 0; j < total && have + wave.size() < k; ++j) {
        if (usable(j) && stuck(j) == (pass == 1)) wave.push_back(j);
      }
    }
    if (wave.empty() && !last_chance) {
      // Every shard was tried, some only missed their grace (a loaded machine, a slow
      // drive) while others failed: a late shard is not a bad one, so read those again and
      // wait for them, rather than answer 503 with healthy shards still on their way.
      last_chance = true;
      for (size_t j = 0; j < total; ++j) {
        if (!slots[j].late || slots[j].failed || slots[j].drive == nullptr) continue;
        slots[j].late = false;
        slots[j].file.reset();  // the straggler kept the open one
        tried[j] = 0;
      }
      for (size_t j = 0; j < total && have + wave.size() < k; ++j) {
        if (usable(j)) wave.push_back(j);
      }
    }
    if (wave.empty()) break;
    size_t spare = 0;  // shards left to read in place of ones that do not answer
    for (size_t j = 0; j < total; ++j) {
      spare += usable(j) && std::find(wave.begin(), wave.end(), j) == wave.end();
    }
    if (shared_loc == nullptr) shared_loc = std::make_shared<const ObjectLocation>(loc);
    // The wave's reads in one shared vector (one allocation, not one per shard): a task
    // touches only its own element, and a straggler keeps the whole vector alive.
    auto reads = std::make_shared<std::vector<ShardRead>>(wave.size());
    WorkerPool::QuorumPolicy policy;
    for (size_t i = 0; i < wave.size(); ++i) {
      const size_t j = wave[i];
      ShardRead& r = (*reads)[i];
      r.drive = slots[j].drive;
      r.file = slots[j].file;
      r.open_part = slots[j].open_part;
      r.loc = shared_loc;
      r.part_number = part.number;
      r.offset = offset;
      // A reader's first block takes its buffers from the pool: already sized, no zeroing.
      r.buf = shards[j].capacity() == 0 ? mem::ShardBuffers().take(kDigestSize + shard)
                                        : std::move(shards[j]);
      r.buf.resize(kDigestSize + shard);
      policy.straggler_index.push_back(
          slots[j].drive_index >= 0 ? static_cast<size_t>(slots[j].drive_index) : 0);
    }
    // Settled once all but `spare` reads succeeded: as many as parity can stand in for may
    // still be out, and get a grace of twice the time that took.
    policy.needed = wave.size() > spare ? wave.size() - spare : 1;
    policy.grace_factor = 2.0;
    policy.min_grace = std::chrono::microseconds(1'000);
    policy.max_grace = std::chrono::microseconds(100'000);
    if (stragglers != nullptr && stragglers->size() > 0) {
      policy.stragglers = stragglers;
    } else {
      policy.straggler_index.clear();
    }
    // Page-cache hits are read on this thread; only reads that need the device go to the pool.
    policy.attempt = [&reads](size_t i) {
      ShardRead& r = (*reads)[i];
      Status s = ReadFileBlock(*r.drive, r.file, r.open_part, *r.loc, r.part_number, r.offset,
                               r.buf, true);
      if (s == Code::kWouldBlock) return WorkerPool::Attempt::kWouldBlock;
      r.status = std::move(s);
      return r.status.ok() ? WorkerPool::Attempt::kSucceeded : WorkerPool::Attempt::kFailed;
    };
    policy.deadline = deadline;
    policy.cancel = cancel;
    if (last_chance) {
      // Re-reads of shards that were late: nothing is left to read instead, so they get as
      // long as a drive call may take rather than a grace.
      policy.needed = wave.size();
      policy.max_wait = kLateRereadWait;
    }
    const std::vector<char> answered = pool.run_quorum(
        wave.size(),
        [reads](size_t i) {
          ShardRead& r = (*reads)[i];
          r.status =
              ReadFileBlock(*r.drive, r.file, r.open_part, *r.loc, r.part_number, r.offset, r.buf);
          return r.status.ok();
        },
        policy);
    for (size_t i = 0; i < wave.size(); ++i) {
      const size_t j = wave[i];
      tried[j] = 1;
      if (!answered[i]) {
        slots[j].late = true;  // its buffer and file stay with the straggler
        continue;
      }
      ShardRead& r = (*reads)[i];
      shards[j] = std::move(r.buf);
      slots[j].file = std::move(r.file);
      slots[j].open_part = r.open_part;
      good[j] = r.status.ok();
      if (!r.status.ok()) slots[j].failed = true;
      have += good[j] != 0;
    }
  }
  // Rebuild reconstructs only when a data shard is missing, and then needs every buffer
  // sized (a straggler kept its own): a healthy read leaves the unread parity buffers alone
  // (resizing them zeroed half a 1 MiB GET's stripe for nothing).
  bool data_complete = true;
  for (size_t j = 0; j < k; ++j) data_complete &= good[j] != 0;
  if (!data_complete) {
    for (auto& s : shards) mem::ShardBuffers().fit(s, kDigestSize + shard);
  }
  return have;
}

}  // namespace

Status ReadBlock(WorkerPool& pool, const erasure::ErasureCodec& codec,
                 std::vector<ShardSlot>& slots, const ObjectLocation& loc, const Geometry& geo,
                 const PartMeta& part, uint64_t b, std::vector<mem::ShardBuffer>& shards,
                 const std::shared_ptr<WorkerPool::Stragglers>& stragglers,
                 std::chrono::steady_clock::time_point deadline, const task::CancelToken& cancel) {
  const size_t k = static_cast<size_t>(codec.data_shards());
  std::vector<char> good;
  if (ReadShardsAtQuorum(pool, codec, slots, loc, geo, part, b, shards, good, stragglers, deadline,
                         cancel) < k) {
    return Status(Code::kReadQuorum, "not enough readable shards");
  }
  FS_RETURN_IF_ERROR(Rebuild(codec, shards, good, true));
  const size_t shard = geo.shard_size(part.size, b);
  for (size_t j = 0; j < k; ++j) {
    if (shards[j].size() != kDigestSize + shard) {
      return Status(Code::kInternal, "erasure: bad data shard size");
    }
  }
  return Status::Ok();
}

}  // namespace flashstor::object::internal
