// ErasureObjectReader: maps object offsets to (part, block), decodes blocks through
// ReadBlock and serves reads straight from the block's verified data shards.
#include "object_reader.h"

#include <algorithm>
#include <cstring>

#include "flashstor/mem/byte_vector_pool.h"

namespace flashstor::object::internal {

ErasureObjectReader::ErasureObjectReader(
    ObjectInfo info, ObjectMeta meta, std::vector<ShardSlot> slots, ObjectLocation loc,
    WorkerPool& pool, std::shared_ptr<const erasure::ErasureCodec> codec,
    std::function<void(std::string_view, std::string_view)> on_degraded, NamespaceLock::Guard lock,
    std::shared_ptr<WorkerPool::Stragglers> stragglers, const RequestContext& ctx)
    : info_(std::move(info)),
      meta_(std::move(meta)),
      slots_(std::move(slots)),
      loc_(std::move(loc)),
      pool_(pool),
      codec_(std::move(codec)),
      on_degraded_(std::move(on_degraded)),
      geo_{meta_.erasure.block_size, meta_.erasure.data},
      end_(meta_.size),
      lock_(std::move(lock)),
      stragglers_(std::move(stragglers)),
      timing_() {
  timing_.deadline = ctx.deadline;
  timing_.min_bytes_per_s = ctx.min_bytes_per_s;
  timing_.cancel = ctx.cancel;
  uint64_t start = 0;
  for (const PartMeta& p : meta_.parts) {
    part_starts_.push_back(start);
    start += p.size;
  }
}

ErasureObjectReader::~ErasureObjectReader() {
  // The stripe's buffers go back, sized, for the next GET (a straggler kept its own).
  mem::ShardBuffers().give_all(shards_);
}

void ErasureObjectReader::set_range(uint64_t offset, uint64_t length) {
  pos_ = std::min(offset, meta_.size);
  range_start_ = pos_;
  end_ = std::min(meta_.size, pos_ + length);
}

Status ErasureObjectReader::load_block(uint64_t pos) {
  auto it = std::upper_bound(part_starts_.begin(), part_starts_.end(), pos);
  size_t p = static_cast<size_t>(it - part_starts_.begin()) - 1;
  // Skip empty parts (only a 0-byte last part can be empty; pos < size excludes it).
  while (p + 1 < meta_.parts.size() && meta_.parts[p].size == 0) ++p;
  const PartMeta& part = meta_.parts[p];
  uint64_t b = (pos - part_starts_[p]) / geo_.block_size;
  size_t len = geo_.block_bytes(part.size, b);
  block_valid_ = false;  // shards_ is rewritten below
  bool had_failures = false;
  for (const auto& s : slots_) had_failures |= s.failed;
  Status s = ReadBlock(pool_, *codec_, slots_, loc_, geo_, part, b, shards_, stragglers_,
                       timing_.deadline_after(pos - std::min(pos, range_start_)), timing_.cancel);
  bool failures = false;
  for (const auto& slot : slots_) failures |= slot.failed;
  if (failures && !had_failures && on_degraded_) on_degraded_(loc_.volume, loc_.key);
  if (!s.ok()) return s;
  block_start_ = part_starts_[p] + b * geo_.block_size;
  block_len_ = len;
  block_shard_ = geo_.shard_size(part.size, b);
  block_valid_ = true;
  return Status::Ok();
}

Status ErasureObjectReader::prefetch() {
  if (pos_ >= end_) {
    lock_.release();
    return Status::Ok();
  }
  return load_block(pos_);
}

Result<std::span<const char>> ErasureObjectReader::lend(size_t max) {
  if (!error_.ok()) return std::unexpected(error_);
  std::span<const char> view;
  if (pos_ < end_ && max > 0) {
    if (!block_valid_ || pos_ < block_start_ || pos_ >= block_start_ + block_len_) {
      if (Status s = load_block(pos_); !s.ok()) {
        error_ = s;
        return std::unexpected(s);
      }
    }
    // The block is the data shards' payloads one after the other (ReadBlock).
    size_t in_block = static_cast<size_t>(pos_ - block_start_);
    size_t j = in_block / block_shard_;
    size_t in_shard = in_block % block_shard_;
    size_t n =
        std::min<uint64_t>({max, block_len_ - in_block, block_shard_ - in_shard, end_ - pos_});
    view = {reinterpret_cast<const char*>(shards_[j].data()) + kDigestSize + in_shard, n};
    pos_ += n;
  }
  // The whole range is out: let writers in now, not when the caller gets around to closing
  // (a copy holds its source reader while it commits the destination).
  if (pos_ >= end_) lock_.release();
  return view;
}

Result<size_t> ErasureObjectReader::read(std::span<char> out) {
  size_t done = 0;
  while (done < out.size()) {
    Result<std::span<const char>> view = lend(out.size() - done);
    if (!view) {
      if (done > 0) break;  // hand out what we have; the error (kept) comes next call
      return std::unexpected(view.error());
    }
    if (view->empty()) break;
    std::memcpy(out.data() + done, view->data(), view->size());
    done += view->size();
  }
  return done;
}

}  // namespace flashstor::object::internal
