// OffloadingLayer: an ObjectLayer decorator for the event loops' request tasks. Calls that walk
// directories or touch many files in one go (listings, bucket operations, heal) run on an I/O
// pool while the calling task parks, so they never hold an event loop's thread. Object reads
// and writes pass straight through: they stream, and the engine already fans their drive I/O
// out to its pool. On a plain thread every call runs inline. The pool's threads are started by
// start() or by the first offloaded call, not by the constructor (daemon start-up).
#pragma once

#include <memory>
#include <mutex>

#include "flashstor/object/forwarding_layer.h"
#include "flashstor/object/worker_pool.h"

namespace flashstor::object {

class OffloadingLayer final : public ForwardingLayer {
 public:
  OffloadingLayer(ObjectLayer& inner, int threads);
  // Starts the pool's threads now (idempotent; the daemon calls it once it serves).
  void start() { pool(); }

  Status make_bucket(const RequestContext& ctx, std::string_view bucket,
                     const MakeBucketOptions& options) override;
  Result<std::vector<BucketInfo>> list_buckets(const RequestContext& ctx,
                                               const BucketListOptions& options) override;
  Status delete_bucket(const RequestContext& ctx, std::string_view bucket) override;
  Result<ListResult> list_objects(const RequestContext& ctx, std::string_view bucket,
                                  const ListOptions& options) override;
  Result<ListPartsResult> list_parts(const RequestContext& ctx, std::string_view bucket,
                                     std::string_view key, std::string_view upload_id,
                                     int part_marker, int max_parts) override;
  Status abort_multipart_upload(const RequestContext& ctx, std::string_view bucket,
                                std::string_view key, std::string_view upload_id) override;
  Result<ListUploadsResult> list_multipart_uploads(const RequestContext& ctx,
                                                   std::string_view bucket,
                                                   const ListUploadsOptions& options) override;
  HealResult heal_object(const RequestContext& ctx, std::string_view bucket,
                         std::string_view key) override;
  Status heal_objects(const RequestContext& ctx, std::string_view bucket,
                      const std::function<bool(const HealResult&)>& each) override;

 private:
  // Runs fn on the pool and parks the calling task until it is done (inline off a task).
  template <typename Fn>
  auto offload(Fn&& fn) -> decltype(fn());

  WorkerPool& pool();

  const int threads_;
  std::once_flag started_;
  std::unique_ptr<WorkerPool> pool_;
};

}  // namespace flashstor::object
