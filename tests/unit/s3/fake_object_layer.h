// In-memory ObjectLayer for the S3 layer's unit tests only: buckets, objects, listing and
// multipart in std::maps, single-threaded. The real engine is covered by its own tests and
// by the integration suite.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <utility>

#include "flashstor/object/object_layer.h"

namespace flashstor::s3::testing {

class FakeObjectLayer : public object::ObjectLayer {
 public:
  Status make_bucket(const object::RequestContext& ctx, std::string_view bucket,
                     const object::MakeBucketOptions& options = {}) override;
  Result<std::shared_ptr<const object::BucketMetadata>> get_bucket_metadata(
      const object::RequestContext& ctx, std::string_view bucket) override;
  Status update_bucket_metadata(
      const object::RequestContext& ctx, std::string_view bucket,
      const std::function<Status(object::BucketMetadata&)>& change) override;
  Result<object::BucketInfo> get_bucket_info(const object::RequestContext& ctx,
                                             std::string_view bucket) override;
  Result<std::vector<object::BucketInfo>> list_buckets(
      const object::RequestContext& ctx, const object::BucketListOptions& options = {}) override;
  Status delete_bucket(const object::RequestContext& ctx, std::string_view bucket) override;
  Result<object::ObjectInfo> put_object(const object::RequestContext& ctx, std::string_view bucket,
                                        std::string_view key, hash::HashingSource& body,
                                        int64_t size, const object::PutOptions& options) override;
  Result<object::ObjectInfo> get_object_info(const object::RequestContext& ctx,
                                             std::string_view bucket, std::string_view key,
                                             std::string_view version_id = {},
                                             bool current_marker_ok = false) override;
  Result<std::unique_ptr<object::ObjectReader>> open_object(
      const object::RequestContext& ctx, std::string_view bucket, std::string_view key,
      std::string_view version_id = {}) override;
  // Only unversioned deletes (the fake keeps one version per key).
  Result<object::DeleteResult> delete_object_version(const object::RequestContext& ctx,
                                                     std::string_view bucket, std::string_view key,
                                                     const object::DeleteOptions& options) override;
  Status delete_object(const object::RequestContext& ctx, std::string_view bucket,
                       std::string_view key,
                       const object::WritePrecondition& precondition = {}) override;
  Result<object::ObjectInfo> update_object_metadata(const object::RequestContext& ctx,
                                                    std::string_view bucket, std::string_view key,
                                                    const object::PutOptions& options) override;
  Result<object::ObjectInfo> update_version(const object::RequestContext& ctx,
                                            std::string_view bucket, std::string_view key,
                                            std::string_view version_id,
                                            const object::VersionUpdate& update) override;
  Result<object::ListResult> list_objects(const object::RequestContext& ctx,
                                          std::string_view bucket,
                                          const object::ListOptions& options) override;
  Result<std::string> new_multipart_upload(const object::RequestContext& ctx,
                                           std::string_view bucket, std::string_view key,
                                           const object::PutOptions& options,
                                           hash::ChecksumAlgo checksum_algo) override;
  Result<object::PartInfo> put_object_part(const object::RequestContext& ctx,
                                           std::string_view bucket, std::string_view key,
                                           std::string_view upload_id, int part_number,
                                           hash::HashingSource& body, int64_t size,
                                           const object::PartOptions& options = {}) override;
  Result<object::ListPartsResult> list_parts(const object::RequestContext& ctx,
                                             std::string_view bucket, std::string_view key,
                                             std::string_view upload_id, int part_marker,
                                             int max_parts) override;
  Result<object::ObjectInfo> complete_multipart_upload(
      const object::RequestContext& ctx, std::string_view bucket, std::string_view key,
      std::string_view upload_id, const std::vector<object::CompletePart>& parts,
      const object::WritePrecondition& precondition = {}) override;
  Status abort_multipart_upload(const object::RequestContext& ctx, std::string_view bucket,
                                std::string_view key, std::string_view upload_id) override;
  Result<object::ListUploadsResult> list_multipart_uploads(
      const object::RequestContext& ctx, std::string_view bucket,
      const object::ListUploadsOptions& options) override;
  object::HealResult heal_object(const object::RequestContext& ctx, std::string_view bucket,
                                 std::string_view key) override;
  Status heal_objects(const object::RequestContext& ctx, std::string_view bucket,
                      const std::function<bool(const object::HealResult&)>& each) override;

  // Test access.
  bool has_object(std::string_view bucket, std::string_view key) const;
  std::string data(std::string_view bucket, std::string_view key) const;

 private:
  struct Stored {
    object::ObjectInfo info;
    std::string data;
  };
  struct Upload {
    std::string bucket, key;
    object::PutOptions options;
    object::MultipartUpload upload;
    std::map<int, Stored> parts;
  };
  using Key = std::pair<std::string, std::string>;
  Result<std::string> read_all(hash::HashingSource& body);
  Status check_precondition(std::string_view bucket, std::string_view key,
                            const object::WritePrecondition& p) const;

  std::map<std::string, object::BucketInfo, std::less<>> buckets_;
  std::map<std::string, object::BucketMetadata> bucket_meta_;
  std::map<Key, Stored> objects_;
  std::map<std::string, Upload, std::less<>> uploads_;
  int next_upload_ = 1;
  int64_t clock_ns_ = 1700000000LL * 1000000000;
};

}  // namespace flashstor::s3::testing
