// ForwardingLayer: every call straight to the inner layer.
#include "flashstor/object/forwarding_layer.h"

namespace flashstor::object {

Status ForwardingLayer::make_bucket(const RequestContext& ctx, std::string_view bucket,
                                    const MakeBucketOptions& options) {
  return inner_.make_bucket(ctx, bucket, options);
}
Result<BucketInfo> ForwardingLayer::get_bucket_info(const RequestContext& ctx,
                                                    std::string_view bucket) {
  return inner_.get_bucket_info(ctx, bucket);
}
Result<std::vector<BucketInfo>> ForwardingLayer::list_buckets(const RequestContext& ctx,
                                                              const BucketListOptions& options) {
  return inner_.list_buckets(ctx, options);
}
Status ForwardingLayer::delete_bucket(const RequestContext& ctx, std::string_view bucket) {
  return inner_.delete_bucket(ctx, bucket);
}
Result<std::shared_ptr<const BucketMetadata>> ForwardingLayer::get_bucket_metadata(
    const RequestContext& ctx, std::string_view bucket) {
  return inner_.get_bucket_metadata(ctx, bucket);
}
Status ForwardingLayer::update_bucket_metadata(
    const RequestContext& ctx, std::string_view bucket,
    const std::function<Status(BucketMetadata&)>& change) {
  return inner_.update_bucket_metadata(ctx, bucket, change);
}
Result<ObjectInfo> ForwardingLayer::put_object(const RequestContext& ctx, std::string_view bucket,
                                               std::string_view key, hash::HashingSource& body,
                                               int64_t size, const PutOptions& options) {
  return inner_.put_object(ctx, bucket, key, body, size, options);
}
Result<ObjectInfo> ForwardingLayer::get_object_info(const RequestContext& ctx,
                                                    std::string_view bucket, std::string_view key,
                                                    std::string_view version_id,
                                                    bool current_marker_ok) {
  return inner_.get_object_info(ctx, bucket, key, version_id, current_marker_ok);
}
Result<std::unique_ptr<ObjectReader>> ForwardingLayer::open_object(const RequestContext& ctx,
                                                                   std::string_view bucket,
                                                                   std::string_view key,
                                                                   std::string_view version_id) {
  return inner_.open_object(ctx, bucket, key, version_id);
}
Result<DeleteResult> ForwardingLayer::delete_object_version(const RequestContext& ctx,
                                                            std::string_view bucket,
                                                            std::string_view key,
                                                            const DeleteOptions& options) {
  return inner_.delete_object_version(ctx, bucket, key, options);
}
Status ForwardingLayer::delete_object(const RequestContext& ctx, std::string_view bucket,
                                      std::string_view key, const WritePrecondition& precondition) {
  return inner_.delete_object(ctx, bucket, key, precondition);
}
Result<ObjectInfo> ForwardingLayer::update_object_metadata(const RequestContext& ctx,
                                                           std::string_view bucket,
                                                           std::string_view key,
                                                           const PutOptions& options) {
  return inner_.update_object_metadata(ctx, bucket, key, options);
}
Result<ObjectInfo> ForwardingLayer::update_version(const RequestContext& ctx,
                                                   std::string_view bucket, std::string_view key,
                                                   std::string_view version_id,
                                                   const VersionUpdate& update) {
  return inner_.update_version(ctx, bucket, key, version_id, update);
}
Result<ListResult> ForwardingLayer::list_objects(const RequestContext& ctx, std::string_view bucket,
                                                 const ListOptions& options) {
  return inner_.list_objects(ctx, bucket, options);
}
Result<std::string> ForwardingLayer::new_multipart_upload(const RequestContext& ctx,
                                                          std::string_view bucket,
                                                          std::string_view key,
                                                          const PutOptions& options,
                                                          hash::ChecksumAlgo checksum_algo) {
  return inner_.new_multipart_upload(ctx, bucket, key, options, checksum_algo);
}
Result<PartInfo> ForwardingLayer::put_object_part(const RequestContext& ctx,
                                                  std::string_view bucket, std::string_view key,
                                                  std::string_view upload_id, int part_number,
                                                  hash::HashingSource& body, int64_t size,
                                                  const PartOptions& options) {
  return inner_.put_object_part(ctx, bucket, key, upload_id, part_number, body, size, options);
}
Result<ListPartsResult> ForwardingLayer::list_parts(const RequestContext& ctx,
                                                    std::string_view bucket, std::string_view key,
                                                    std::string_view upload_id, int part_marker,
                                                    int max_parts) {
  return inner_.list_parts(ctx, bucket, key, upload_id, part_marker, max_parts);
}
Result<ObjectInfo> ForwardingLayer::complete_multipart_upload(
    const RequestContext& ctx, std::string_view bucket, std::string_view key,
    std::string_view upload_id, const std::vector<CompletePart>& parts,
    const WritePrecondition& precondition) {
  return inner_.complete_multipart_upload(ctx, bucket, key, upload_id, parts, precondition);
}
Status ForwardingLayer::abort_multipart_upload(const RequestContext& ctx, std::string_view bucket,
                                               std::string_view key, std::string_view upload_id) {
  return inner_.abort_multipart_upload(ctx, bucket, key, upload_id);
}
Result<ListUploadsResult> ForwardingLayer::list_multipart_uploads(
    const RequestContext& ctx, std::string_view bucket, const ListUploadsOptions& options) {
  return inner_.list_multipart_uploads(ctx, bucket, options);
}
HealResult ForwardingLayer::heal_object(const RequestContext& ctx, std::string_view bucket,
                                        std::string_view key) {
  return inner_.heal_object(ctx, bucket, key);
}
Status ForwardingLayer::heal_objects(const RequestContext& ctx, std::string_view bucket,
                                     const std::function<bool(const HealResult&)>& each) {
  return inner_.heal_objects(ctx, bucket, each);
}

}  // namespace flashstor::object
