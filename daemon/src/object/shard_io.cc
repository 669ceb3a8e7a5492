// Shard I/O: block encoding with bitrot digests, parallel shard writers, and block reads
// from any k verified shards with reconstruction.
#include "shard_io.h"

#include <cstring>

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
                   std::vector<std::vector<uint8_t>>& out) {
  const int k = codec.data_shards();
  const size_t total = static_cast<size_t>(codec.total_shards());
  const size_t shard = erasure::ErasureCodec::ShardSize(block.size(), k);
  out.resize(total);
  std::vector<std::span<uint8_t>> spans(total);
  for (size_t j = 0; j < total; ++j) {
    out[j].resize(kDigestSize + shard);
    spans[j] = std::span<uint8_t>(out[j]).subspan(kDigestSize);
  }
  FS_RETURN_IF_ERROR(erasure::SplitBlock(block, std::span(spans).first(static_cast<size_t>(k))));
  FS_RETURN_IF_ERROR(codec.encode(spans));
  for (size_t j = 0; j < total; ++j) {
    erasure::BitrotDigest d = erasure::BitrotHash(spans[j]);
    std::memcpy(out[j].data(), d.data(), kDigestSize);
  }
  return Status::Ok();
}

ShardWriters::ShardWriters(WorkerPool& pool, const std::vector<storage::StorageApi*>& drives,
                           const std::vector<bool>& use, std::string_view volume,
                           std::string_view key, std::string_view file)
    : pool_(pool), writers_(drives.size()) {
  pool_.run(drives.size(), [&](size_t d) {
    if (!use[d] || drives[d] == nullptr) return;
    auto w = drives[d]->create_file(volume, key, file);
    if (w) {
      writers_[d] = std::move(*w);
    } else {
      drop(d, w.error());
    }
  });
}

void ShardWriters::drop(size_t d, const Status& s) {
  writers_[d].reset();  // removes the partial file
  std::lock_guard<std::mutex> lock(mu_);
  if (first_error_.ok()) first_error_ = s;
  full_ += s == Code::kDiskFull;
}

void ShardWriters::start_write(const std::vector<std::vector<uint8_t>>& shards,
                               const std::vector<int>& distribution) {
  task_ = [this, &shards, &distribution](size_t d) {
    if (writers_[d] == nullptr) return;
    const auto& buf = shards[static_cast<size_t>(distribution[d] - 1)];
    if (Status s = writers_[d]->write(buf); !s.ok()) drop(d, s);
  };
  batch_ = pool_.start(writers_.size(), task_);
}

void ShardWriters::wait() {
  if (batch_) batch_->wait();
  batch_.reset();
}

void ShardWriters::close_all() {
  wait();
  pool_.run(writers_.size(), [this](size_t d) {
    if (writers_[d] == nullptr) return;
    if (Status s = writers_[d]->close(); !s.ok()) drop(d, s);
  });
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

Status ReadShardBlock(ShardSlot& slot, const ObjectLocation& loc, int part_number,
                      uint64_t file_offset, std::span<uint8_t> out) {
  if (slot.drive == nullptr || slot.failed) return Status(Code::kFileNotFound, "no shard");
  if (loc.data_dir.empty()) {
    if (file_offset + out.size() > slot.inline_data.size()) {
      return Status(Code::kCorrupt, "inline shard truncated");
    }
    std::memcpy(out.data(), slot.inline_data.data() + file_offset, out.size());
  } else {
    if (slot.file == nullptr || slot.open_part != part_number) {
      slot.file.reset();
      std::string file = DataDirName(loc.data_dir) + "/" + PartFile(part_number);
      auto f = slot.drive->open_file(loc.volume, loc.key, file);
      if (!f) return f.error();
      slot.file = std::move(*f);
      slot.open_part = part_number;
    }
    auto n = slot.file->read_at(out, file_offset);
    if (!n) return n.error();
    if (*n != out.size()) return Status(Code::kCorrupt, "shard file truncated");
  }
  erasure::BitrotDigest expected;
  std::memcpy(expected.data(), out.data(), kDigestSize);
  if (!erasure::BitrotVerify(out.subspan(kDigestSize), expected)) {
    return Status(Code::kCorrupt, "bitrot digest mismatch");
  }
  return Status::Ok();
}

size_t ReadShards(WorkerPool& pool, const erasure::ErasureCodec& codec,
                  std::vector<ShardSlot>& slots, const ObjectLocation& loc, const Geometry& geo,
                  const PartMeta& part, uint64_t b, std::vector<std::vector<uint8_t>>& shards,
                  std::vector<char>& good, bool all) {
  const size_t k = static_cast<size_t>(codec.data_shards());
  const size_t total = static_cast<size_t>(codec.total_shards());
  const size_t shard = geo.shard_size(part.size, b);
  const uint64_t offset = geo.file_offset(b);
  shards.resize(total);
  for (auto& s : shards) s.resize(kDigestSize + shard);
  good.assign(total, 0);
  std::vector<bool> tried(total, false);
  size_t have = 0;
  while (all || have < k) {
    std::vector<size_t> batch;
    for (size_t j = 0; j < total && (all || have + batch.size() < k); ++j) {
      if (!tried[j] && slots[j].drive != nullptr && !slots[j].failed) batch.push_back(j);
    }
    if (batch.empty()) break;
    pool.run(
        batch.size(),
        [&](size_t i) {
          size_t j = batch[i];
          Status s = ReadShardBlock(slots[j], loc, part.number, offset, shards[j]);
          good[j] = s.ok();
          if (!s.ok()) slots[j].failed = true;
        },
        TaskKind::kShardRead);
    for (size_t j : batch) {
      tried[j] = true;
      have += good[j] != 0;
    }
  }
  return have;
}

namespace {

Status Rebuild(const erasure::ErasureCodec& codec, std::vector<std::vector<uint8_t>>& shards,
               const std::vector<char>& good, bool data_only) {
  const size_t total = static_cast<size_t>(codec.total_shards());
  std::vector<std::span<uint8_t>> spans(total);
  bool present[erasure::kMaxTotalShards];
  bool missing = false;
  for (size_t j = 0; j < total; ++j) {
    spans[j] = std::span<uint8_t>(shards[j]).subspan(kDigestSize);
    present[j] = good[j] != 0;
    missing |= !present[j] && (!data_only || j < static_cast<size_t>(codec.data_shards()));
  }
  if (!missing) return Status::Ok();
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
                  const PartMeta& part, uint64_t b, std::vector<std::vector<uint8_t>>& shards) {
  std::vector<char> good;
  size_t have = ReadShards(pool, codec, slots, loc, geo, part, b, shards, good, false);
  if (have < static_cast<size_t>(codec.data_shards())) {
    return Status(Code::kReadQuorum, "not enough readable shards");
  }
  return Rebuild(codec, shards, good, false);
}

Status ReadBlock(WorkerPool& pool, const erasure::ErasureCodec& codec,
                 std::vector<ShardSlot>& slots, const ObjectLocation& loc, const Geometry& geo,
                 const PartMeta& part, uint64_t b, std::vector<std::vector<uint8_t>>& shards,
                 std::span<uint8_t> data) {
  const size_t k = static_cast<size_t>(codec.data_shards());
  std::vector<char> good;
  if (ReadShards(pool, codec, slots, loc, geo, part, b, shards, good, false) < k) {
    return Status(Code::kReadQuorum, "not enough readable shards");
  }
  FS_RETURN_IF_ERROR(Rebuild(codec, shards, good, true));
  std::vector<std::span<uint8_t>> spans(k);
  for (size_t j = 0; j < k; ++j) spans[j] = std::span<uint8_t>(shards[j]).subspan(kDigestSize);
  return erasure::JoinBlock(spans, data);
}

}  // namespace flashstor::object::internal
