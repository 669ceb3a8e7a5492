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
  pool().run(1, [&](size_t) { out.emplace(fn()); });  // parks this task until done
  return std::move(*out);
}

Status OffloadingLayer::make_bucket(std::string_view bucket, const MakeBucketOptions& options) {
  return offload([&] { return inner_.make_bucket(bucket, options); });
}
Result<std::vector<BucketInfo>> OffloadingLayer::list_buckets(const BucketListOptions& options) {
  return offload([&] { return inner_.list_buckets(options); });
}
Status OffloadingLayer::delete_bucket(std::string_view bucket) {
  return offload([&] { return inner_.delete_bucket(bucket); });
}
Result<ListResult> OffloadingLayer::list_objects(std::string_view bucket,
                                                 const ListOptions& options) {
  return offload([&] { return inner_.list_objects(bucket, options); });
}
Result<ListPartsResult> OffloadingLayer::list_parts(std::string_view bucket, std::string_view key,
                                                    std::string_view upload_id, int part_marker,
                                                    int max_parts) {
  return offload([&] { return inner_.list_parts(bucket, key, upload_id, part_marker, max_parts); });
}
Status OffloadingLayer::abort_multipart_upload(std::string_view bucket, std::string_view key,
                                               std::string_view upload_id) {
  return offload([&] { return inner_.abort_multipart_upload(bucket, key, upload_id); });
}
Result<ListUploadsResult> OffloadingLayer::list_multipart_uploads(
    std::string_view bucket, const ListUploadsOptions& options) {
  return offload([&] { return inner_.list_multipart_uploads(bucket, options); });
}
HealResult OffloadingLayer::heal_object(std::string_view bucket, std::string_view key) {
  return offload([&] { return inner_.heal_object(bucket, key); });
}
Status OffloadingLayer::heal_objects(std::string_view bucket,
                                     const std::function<bool(const HealResult&)>& each) {
  // each() writes progress to the admin client: it runs on the pool thread, whose socket
  // waits then block that thread (poll), within the request's transfer budget.
  return offload([&] { return inner_.heal_objects(bucket, each); });
}

}  // namespace flashstor::object
