// OffloadingLayer: which ObjectLayer calls leave the event loop, and the one way they do.
#include "flashstor/object/offloading_layer.h"

#include <optional>

#include "flashstor/task/fiber.h"

namespace flashstor::object {

OffloadingLayer::OffloadingLayer(ObjectLayer& inner, int threads)
    : ForwardingLayer(inner), threads_(threads) {}

WorkerPool& OffloadingLayer::pool() {
  std::call_once(started_, [this] { pool_ = std::make_unique<WorkerPool>(threads_); });
  return *pool_;
}

template <typename Fn>
auto OffloadingLayer::offload(Fn&& fn) -> decltype(fn()) {
  if (task::CurrentFiber() == nullptr) return fn();
  std::optional<decltype(fn())> out;
  // fn captures the caller's arguments (its RequestContext too) by reference: safe, because
  // WorkerPool::run returns only once fn has finished (it has no deadline, worker_pool.h).
  // The call's own waits inside the inner layer are bounded by ctx's deadline.
  pool().run(1, [&](size_t) { out.emplace(fn()); });  // parks this task until done
  return std::move(*out);
}

Status OffloadingLayer::make_bucket(const RequestContext& ctx, std::string_view bucket,
                                    const MakeBucketOptions& options) {
  return offload([&] { return inner_.make_bucket(ctx, bucket, options); });
}
Result<std::vector<BucketInfo>> OffloadingLayer::list_buckets(const RequestContext& ctx,
                                                              const BucketListOptions& options) {
  return offload([&] { return inner_.list_buckets(ctx, options); });
}
Status OffloadingLayer::delete_bucket(const RequestContext& ctx, std::string_view bucket) {
  return offload([&] { return inner_.delete_bucket(ctx, bucket); });
}
Result<ListResult> OffloadingLayer::list_objects(const RequestContext& ctx, std::string_view bucket,
                                                 const ListOptions& options) {
  return offload([&] { return inner_.list_objects(ctx, bucket, options); });
}
Result<ListPartsResult> OffloadingLayer::list_parts(const RequestContext& ctx,
                                                    std::string_view bucket, std::string_view key,
                                                    std::string_view upload_id, int part_marker,
                                                    int max_parts) {
  return offload(
      [&] { return inner_.list_parts(ctx, bucket, key, upload_id, part_marker, max_parts); });
}
Status OffloadingLayer::abort_multipart_upload(const RequestContext& ctx, std::string_view bucket,
                                               std::string_view key, std::string_view upload_id) {
  return offload([&] { return inner_.abort_multipart_upload(ctx, bucket, key, upload_id); });
}
Result<ListUploadsResult> OffloadingLayer::list_multipart_uploads(
    const RequestContext& ctx, std::string_view bucket, const ListUploadsOptions& options) {
  return offload([&] { return inner_.list_multipart_uploads(ctx, bucket, options); });
}
HealResult OffloadingLayer::heal_object(const RequestContext& ctx, std::string_view bucket,
                                        std::string_view key) {
  return offload([&] { return inner_.heal_object(ctx, bucket, key); });
}
Status OffloadingLayer::heal_objects(const RequestContext& ctx, std::string_view bucket,
                                     const std::function<bool(const HealResult&)>& each) {
  // each() writes progress to the admin client: it runs on the pool thread, whose socket
  // waits then block that thread (poll), within the request's transfer budget.
  return offload([&] { return inner_.heal_objects(ctx, bucket, each); });
}

}  // namespace flashstor::object
