// BudgetedLayer: grants around large PUTs, parts and GETs (the reader keeps its grant).
#include "flashstor/object/budgeted_layer.h"

#include <algorithm>

namespace flashstor::object {
namespace {

constexpr uint64_t kBlockBytes = 1 << 20;  // the engine's erasure block
constexpr uint64_t kCopyBytes = 256 * 1024;

// A reader that holds its request's grant until it is destroyed.
class GrantedReader final : public ObjectReader {
 public:
  GrantedReader(std::unique_ptr<ObjectReader> inner, task::MemoryBudget::Grant grant)
      : inner_(std::move(inner)), grant_(std::move(grant)) {}
  const ObjectInfo& info() const override { return inner_->info(); }
  void set_range(uint64_t offset, uint64_t length) override { inner_->set_range(offset, length); }
  Result<size_t> read(std::span<char> out) override { return inner_->read(out); }
  bool lends_buffers() const override { return inner_->lends_buffers(); }
  Result<std::span<const char>> lend(size_t max) override { return inner_->lend(max); }

 private:
  std::unique_ptr<ObjectReader> inner_;
  task::MemoryBudget::Grant grant_;
};

}  // namespace

BudgetedLayer::BudgetedLayer(ObjectLayer& inner, task::MemoryBudget& budget,
                             std::chrono::milliseconds wait)
    : ForwardingLayer(inner), budget_(budget), wait_(wait) {}

uint64_t BudgetedLayer::BufferBytes(int64_t size) {
  const uint64_t moved = size < 0 ? kBlockBytes : static_cast<uint64_t>(size);
  if (moved < kUnbudgetedBytes) return 0;
  // Data and parity of one stripe at most (parity <= data in every layout) plus a copy buffer.
  return 2 * std::min(moved, kBlockBytes) + kCopyBytes;
}

uint64_t BudgetedLayer::PutBufferBytes(int64_t size) {
  if (size >= 0 && static_cast<uint64_t>(size) < kUnbudgetedBytes) return 0;
  if (size < 0) return 5 * kBlockBytes;  // body block + two stripes of data and parity
  const uint64_t n = static_cast<uint64_t>(size);
  if (n < kBlockBytes) return 3 * n;             // body block + data + parity
  if (n == kBlockBytes) return 2 * kBlockBytes;  // read straight into one stripe
  // Two stripes (one being written, the next read), and the last short block gathered.
  return (n % kBlockBytes == 0 ? 4 : 5) * kBlockBytes;
}

Status BudgetedLayer::take(const RequestContext& ctx, uint64_t bytes,
                           task::MemoryBudget::Grant& grant) {
  if (bytes == 0) return Status::Ok();
  if (!budget_.acquire(bytes, wait_, grant, ctx.cancel)) {
    if (ctx.cancelled()) return Status(Code::kCancelled, "memory budget wait: client gone");
    return Status(Code::kUnavailable, "request memory budget spent");
  }
  return Status::Ok();
}

Status BudgetedLayer::take_for_body(const RequestContext& ctx, hash::HashingSource& body,
                                    uint64_t bytes, task::MemoryBudget::Grant& grant) {
  if (bytes == 0) return Status::Ok();
  // The body's first bytes before the grant: a client that sends its head and then trickles
  // (or nothing) waits for its body under the rate bounds, holding no memory others wait for.
  FS_RETURN_IF_ERROR(body.prefetch(hash::HashingSource::kMaxPrefetch));
  return take(ctx, bytes, grant);
}

Result<ObjectInfo> BudgetedLayer::put_object(const RequestContext& ctx, std::string_view bucket,
                                             std::string_view key, hash::HashingSource& body,
                                             int64_t size, const PutOptions& options) {
  task::MemoryBudget::Grant grant;
  FS_RETURN_IF_ERROR(take_for_body(ctx, body, PutBufferBytes(size), grant));
  RequestContext granted = ctx;
  granted.buffer_grant = &grant;  // given back once the data is written
  return inner_.put_object(granted, bucket, key, body, size, options);
}

Result<PartInfo> BudgetedLayer::put_object_part(const RequestContext& ctx, std::string_view bucket,
                                                std::string_view key, std::string_view upload_id,
                                                int part_number, hash::HashingSource& body,
                                                int64_t size, const PartOptions& options) {
  task::MemoryBudget::Grant grant;
  FS_RETURN_IF_ERROR(take_for_body(ctx, body, PutBufferBytes(size), grant));
  RequestContext granted = ctx;
  granted.buffer_grant = &grant;  // given back once the data is written
  return inner_.put_object_part(granted, bucket, key, upload_id, part_number, body, size, options);
}

Result<std::unique_ptr<ObjectReader>> BudgetedLayer::open_object(const RequestContext& ctx,
                                                                 std::string_view bucket,
                                                                 std::string_view key,
                                                                 std::string_view version_id) {
  // Opening a reader already reads (and buffers) the first block, and holds the key's read
  // lock: a reader is only opened with a grant in hand, or for an object known to be small.
  // While the budget has room, the largest grant is taken first (one open, no extra
  // metadata read); once it is spent, the size is looked up first, so small GETs still pass
  // and large ones wait without a reader.
  task::MemoryBudget::Grant grant;
  if (!budget_.try_acquire(BufferBytes(-1), grant)) {
    Result<ObjectInfo> info = inner_.get_object_info(ctx, bucket, key, version_id);
    if (!info) return std::unexpected(info.error());
    FS_RETURN_IF_ERROR(take(ctx, BufferBytes(static_cast<int64_t>(info->size)), grant));
  }
  Result<std::unique_ptr<ObjectReader>> reader = inner_.open_object(ctx, bucket, key, version_id);
  if (!reader) return reader;
  const uint64_t bytes = BufferBytes(static_cast<int64_t>((*reader)->info().size));
  if (bytes == 0) return reader;  // small: the grant, if any, goes back now
  if (grant.bytes() < bytes) {
    // Replaced by a large object since its size was looked up: wait without the reader.
    reader->reset();
    FS_RETURN_IF_ERROR(take(ctx, bytes, grant));
    reader = inner_.open_object(ctx, bucket, key, version_id);
    if (!reader) return reader;
  }
  return std::unique_ptr<ObjectReader>(new GrantedReader(std::move(*reader), std::move(grant)));
}

}  // namespace flashstor::object
