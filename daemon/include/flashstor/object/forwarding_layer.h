// ForwardingLayer: an ObjectLayer that passes every call to another one, the base of the
// decorators that change only a few calls (OffloadingLayer, BudgetedLayer).
#pragma once

#include "flashstor/object/object_layer.h"

namespace flashstor::object {

class ForwardingLayer : public ObjectLayer {
 public:
  explicit ForwardingLayer(ObjectLayer& inner) : inner_(inner) {}

  Status make_bucket(const RequestContext& ctx, std::string_view bucket,
                     const MakeBucketOptions& options) override;
  Result<BucketInfo> get_bucket_info(const RequestContext& ctx, std::string_view bucket) override;
  Result<std::vector<BucketInfo>> list_buckets(const RequestContext& ctx,
                                               const BucketListOptions& options) override;
  Status delete_bucket(const RequestContext& ctx, std::string_view bucket) override;
  Result<std::shared_ptr<const BucketMetadata>> get_bucket_metadata(
      const RequestContext& ctx, std::string_view bucket) override;
  Status update_bucket_metadata(const RequestContext& ctx, std::string_view bucket,
                                const std::function<Status(BucketMetadata&)>& change) override;
  Result<ObjectInfo> put_object(const RequestContext& ctx, std::string_view bucket,
                                std::string_view key, hash::HashingSource& body, int64_t size,
                                const PutOptions& options) override;
  Result<ObjectInfo> get_object_info(const RequestContext& ctx, std::string_view bucket,
                                     std::string_view key, std::string_view version_id = {},
                                     bool current_marker_ok = false) override;
  Result<std::unique_ptr<ObjectReader>> open_object(const RequestContext& ctx,
                                                    std::string_view bucket, std::string_view key,
                                                    std::string_view version_id = {}) override;
  Result<DeleteResult> delete_object_version(const RequestContext& ctx, std::string_view bucket,
                                             std::string_view key,
                                             const DeleteOptions& options) override;
  Status delete_object(const RequestContext& ctx, std::string_view bucket, std::string_view key,
                       const WritePrecondition& precondition) override;
  Result<ObjectInfo> update_object_metadata(const RequestContext& ctx, std::string_view bucket,
                                            std::string_view key,
                                            const PutOptions& options) override;
  Result<ObjectInfo> update_version(const RequestContext& ctx, std::string_view bucket,
                                    std::string_view key, std::string_view version_id,
                                    const VersionUpdate& update) override;
  Result<ListResult> list_objects(const RequestContext& ctx, std::string_view bucket,
                                  const ListOptions& options) override;
  Result<std::string> new_multipart_upload(const RequestContext& ctx, std::string_view bucket,
                                           std::string_view key, const PutOptions& options,
                                           hash::ChecksumAlgo checksum_algo) override;
  Result<PartInfo> put_object_part(const RequestContext& ctx, std::string_view bucket,
                                   std::string_view key, std::string_view upload_id,
                                   int part_number, hash::HashingSource& body, int64_t size,
                                   const PartOptions& options = {}) override;
  Result<ListPartsResult> list_parts(const RequestContext& ctx, std::string_view bucket,
                                     std::string_view key, std::string_view upload_id,
                                     int part_marker, int max_parts) override;
  Result<ObjectInfo> complete_multipart_upload(const RequestContext& ctx, std::string_view bucket,
                                               std::string_view key, std::string_view upload_id,
                                               const std::vector<CompletePart>& parts,
                                               const WritePrecondition& precondition) override;
  Status abort_multipart_upload(const RequestContext& ctx, std::string_view bucket,
                                std::string_view key, std::string_view upload_id) override;
  Result<ListUploadsResult> list_multipart_uploads(const RequestContext& ctx,
                                                   std::string_view bucket,
                                                   const ListUploadsOptions& options) override;
  HealResult heal_object(const RequestContext& ctx, std::string_view bucket,
                         std::string_view key) override;
  Status heal_objects(const RequestContext& ctx, std::string_view bucket,
                      const std::function<bool(const HealResult&)>& each) override;

 protected:
  ObjectLayer& inner_;
};

}  // namespace flashstor::object
