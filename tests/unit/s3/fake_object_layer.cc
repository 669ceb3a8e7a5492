// In-memory ObjectLayer used only by the S3 layer's unit tests.
#include "fake_object_layer.h"

#include <openssl/evp.h>

#include <algorithm>

#include "flashstor/common/authz_epoch.h"
#include "flashstor/hash/hashing_source.h"

namespace flashstor::s3::testing {
namespace {

std::string Md5Hex(std::string_view data) {
  unsigned char md[16];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_md5(), nullptr);
  return hash::HexEncode(std::span<const unsigned char>(md, 16));
}

object::Metadata Meta(const object::PutOptions& o) {
  return o.metadata;
}

}  // namespace

Status FakeObjectLayer::make_bucket(const object::RequestContext& ctx, std::string_view bucket,
                                    const object::MakeBucketOptions& options) {
  if (buckets_.contains(bucket)) return Status(Code::kBucketExists);
  buckets_.emplace(std::string(bucket), object::BucketInfo{std::string(bucket), clock_ns_});
  object::BucketMetadata meta;
  meta.name = std::string(bucket);
  meta.created_ns = clock_ns_;
  meta.object_lock_enabled = options.object_lock_enabled;
  if (options.object_lock_enabled) meta.versioning = object::VersioningState::kEnabled;
  bucket_meta_[std::string(bucket)] = std::move(meta);
  BumpAuthzEpoch();
  return {};
}

Result<std::shared_ptr<const object::BucketMetadata>> FakeObjectLayer::get_bucket_metadata(
    const object::RequestContext& ctx, std::string_view bucket) {
  auto it = bucket_meta_.find(std::string(bucket));
  if (it == bucket_meta_.end()) return Err(Code::kNoSuchBucket);
  return std::make_shared<const object::BucketMetadata>(it->second);
}

Status FakeObjectLayer::update_bucket_metadata(
    const object::RequestContext& ctx, std::string_view bucket,
    const std::function<Status(object::BucketMetadata&)>& change) {
  auto it = bucket_meta_.find(std::string(bucket));
  if (it == bucket_meta_.end()) return Status(Code::kNoSuchBucket);
  object::BucketMetadata copy = it->second;
  FS_RETURN_IF_ERROR(change(copy));
  it->second = std::move(copy);
  BumpAuthzEpoch();
  return {};
}

Result<object::BucketInfo> FakeObjectLayer::get_bucket_info(const object::RequestContext& ctx,
                                                            std::string_view bucket) {
  auto it = buckets_.find(bucket);
  if (it == buckets_.end()) return Err(Code::kNoSuchBucket);
  return it->second;
}

Result<std::vector<object::BucketInfo>> FakeObjectLayer::list_buckets(
    const object::RequestContext& ctx, const object::BucketListOptions& options) {
  std::vector<object::BucketInfo> out;
  for (auto& [name, info] : buckets_) {
    if (name <= options.start_after || !name.starts_with(options.prefix)) continue;
    if (options.limit != 0 && out.size() >= options.limit) break;
    out.push_back(info);
  }
  return out;
}

Status FakeObjectLayer::delete_bucket(const object::RequestContext& ctx, std::string_view bucket) {
  if (!buckets_.contains(bucket)) return Status(Code::kNoSuchBucket);
  for (auto& [k, v] : objects_) {
    if (k.first == bucket) return Status(Code::kBucketNotEmpty);
  }
  buckets_.erase(buckets_.find(bucket));
  bucket_meta_.erase(std::string(bucket));
  BumpAuthzEpoch();
  return {};
}

Result<std::string> FakeObjectLayer::read_all(hash::HashingSource& body) {
  std::string data;
  char buf[4096];
  for (;;) {
    Result<size_t> n = body.read(buf);
    if (!n) return std::unexpected(n.error());
    if (*n == 0) return data;
    data.append(buf, *n);
  }
}

// The engine's rule (ErasureSet::check_precondition), on the map.
Status FakeObjectLayer::check_precondition(std::string_view bucket, std::string_view key,
                                           const object::WritePrecondition& p) const {
  auto it = objects_.find({std::string(bucket), std::string(key)});
  const bool exists = it != objects_.end();
  if (p.if_none_match_any && exists) return Status(Code::kPreconditionFailed);
  if (!p.if_match.empty()) {
    if (!exists) return Status(Code::kNoSuchKey);
    if (p.if_match != "*" && p.if_match != it->second.info.etag) {
      return Status(Code::kPreconditionFailed);
    }
  }
  return {};
}

Result<object::ObjectInfo> FakeObjectLayer::put_object(const object::RequestContext& ctx,
                                                       std::string_view bucket,
                                                       std::string_view key,
                                                       hash::HashingSource& body, int64_t size,
                                                       const object::PutOptions& options) {
  if (!buckets_.contains(bucket)) return Err(Code::kNoSuchBucket);
  Result<std::string> data = read_all(body);
  if (!data) return std::unexpected(data.error());
  if (size >= 0 && data->size() != static_cast<uint64_t>(size)) return Err(Code::kIncompleteBody);
  if (Status st = check_precondition(bucket, key, options.precondition); !st.ok()) {
    return std::unexpected(st);
  }
  Stored s;
  s.info.bucket = std::string(bucket);
  s.info.key = std::string(key);
  s.info.etag = body.md5_hex();
  s.info.size = data->size();
  s.info.mod_time_ns = (clock_ns_ += 1000000000);
  s.info.content_type = options.content_type;
  s.info.storage_class = options.storage_class;
  s.info.metadata = Meta(options);
  s.info.tags = options.tags;
  s.info.checksum_algo = body.checksum_algo();
  s.info.checksum_b64 = body.checksum_b64();
  s.data = std::move(*data);
  objects_[{std::string(bucket), std::string(key)}] = s;
  return s.info;
}

Result<object::ObjectInfo> FakeObjectLayer::get_object_info(const object::RequestContext& ctx,
                                                            std::string_view bucket,
                                                            std::string_view key,
                                                            std::string_view version_id,
                                                            bool /*current_marker_ok*/) {
  if (!buckets_.contains(bucket)) return Err(Code::kNoSuchBucket);
  if (!version_id.empty() && version_id != "null") return Err(Code::kNoSuchVersion);
  auto it = objects_.find({std::string(bucket), std::string(key)});
  if (it == objects_.end()) return Err(Code::kNoSuchKey);
  return it->second.info;
}

namespace {
class FakeReader final : public object::ObjectReader {
 public:
  FakeReader(object::ObjectInfo info, std::string data)
      : info_(std::move(info)), data_(std::move(data)), end_(data_.size()) {}
  const object::ObjectInfo& info() const override { return info_; }
  void set_range(uint64_t offset, uint64_t length) override {
    pos_ = offset;
    end_ = offset + length;
  }
  Result<size_t> read(std::span<char> out) override {
    size_t n = std::min<size_t>(out.size(), end_ - pos_);
    std::copy_n(data_.data() + pos_, n, out.data());
    pos_ += n;
    return n;
  }

 private:
  object::ObjectInfo info_;
  std::string data_;
  uint64_t pos_ = 0;
  uint64_t end_;
};
}  // namespace

Result<std::unique_ptr<object::ObjectReader>> FakeObjectLayer::open_object(
    const object::RequestContext& ctx, std::string_view bucket, std::string_view key,
    std::string_view version_id) {
  if (!buckets_.contains(bucket)) return Err(Code::kNoSuchBucket);
  if (!version_id.empty() && version_id != "null") return Err(Code::kNoSuchVersion);
  auto it = objects_.find({std::string(bucket), std::string(key)});
  if (it == objects_.end()) return Err(Code::kNoSuchKey);
  return std::make_unique<FakeReader>(it->second.info, it->second.data);
}

Status FakeObjectLayer::delete_object(const object::RequestContext& ctx, std::string_view bucket,
                                      std::string_view key,
                                      const object::WritePrecondition& precondition) {
  if (!buckets_.contains(bucket)) return Status(Code::kNoSuchBucket);
  FS_RETURN_IF_ERROR(check_precondition(bucket, key, precondition));
  objects_.erase({std::string(bucket), std::string(key)});
  return {};
}

Result<object::DeleteResult> FakeObjectLayer::delete_object_version(
    const object::RequestContext& ctx, std::string_view bucket, std::string_view key,
    const object::DeleteOptions& options) {
  if (!options.version_id.empty() && options.version_id != "null") {
    return object::DeleteResult{false, options.version_id};  // no such version: nothing to do
  }
  if (Status st = delete_object(ctx, bucket, key, options.precondition); !st.ok()) {
    return std::unexpected(st);
  }
  return object::DeleteResult{};
}

Result<object::ObjectInfo> FakeObjectLayer::update_object_metadata(
    const object::RequestContext& ctx, std::string_view bucket, std::string_view key,
    const object::PutOptions& options) {
  if (Status st = check_precondition(bucket, key, options.precondition); !st.ok()) {
    return std::unexpected(st);
  }
  auto it = objects_.find({std::string(bucket), std::string(key)});
  if (it == objects_.end()) return Err(Code::kNoSuchKey);
  it->second.info.content_type = options.content_type;
  it->second.info.metadata = Meta(options);
  it->second.info.tags = options.tags;
  it->second.info.mod_time_ns = (clock_ns_ += 1000000000);
  return it->second.info;
}

Result<object::ObjectInfo> FakeObjectLayer::update_version(const object::RequestContext& ctx,
                                                           std::string_view bucket,
                                                           std::string_view key,
                                                           std::string_view version_id,
                                                           const object::VersionUpdate& update) {
  if (!buckets_.contains(bucket)) return Err(Code::kNoSuchBucket);
  if (!version_id.empty() && version_id != "null") return Err(Code::kNoSuchVersion);
  auto it = objects_.find({std::string(bucket), std::string(key)});
  if (it == objects_.end()) return Err(Code::kNoSuchKey);
  if (update.tags) it->second.info.tags = *update.tags;
  if (update.retention) {
    it->second.info.lock.mode = update.retention->mode;
    it->second.info.lock.retain_until_ns = update.retention->retain_until_ns;
  }
  if (update.legal_hold) it->second.info.lock.legal_hold = *update.legal_hold;
  return it->second.info;
}

Result<object::ListResult> FakeObjectLayer::list_objects(const object::RequestContext& ctx,
                                                         std::string_view bucket,
                                                         const object::ListOptions& o) {
  if (!buckets_.contains(bucket)) return Err(Code::kNoSuchBucket);
  object::ListResult r;
  int count = 0;
  for (auto& [k, v] : objects_) {
    const std::string& key = k.second;
    if (k.first != bucket || !key.starts_with(o.prefix) || key <= o.start_after) continue;
    std::string entry = key;
    bool is_prefix = false;
    if (!o.delimiter.empty()) {
      size_t d = key.find(o.delimiter, o.prefix.size());
      if (d != std::string::npos) {
        entry = key.substr(0, d + o.delimiter.size());
        is_prefix = true;
        if (!r.common_prefixes.empty() && r.common_prefixes.back() == entry) continue;
        if (entry <= o.start_after) continue;
      }
    }
    if (count == o.max_keys) {
      r.truncated = true;
      break;
    }
    ++count;
    r.next_marker = entry;
    if (is_prefix) {
      r.common_prefixes.push_back(entry);
    } else {
      r.objects.push_back(v.info);
    }
  }
  if (!r.truncated) r.next_marker.clear();
  return r;
}

Result<std::string> FakeObjectLayer::new_multipart_upload(const object::RequestContext& ctx,
                                                          std::string_view bucket,
                                                          std::string_view key,
                                                          const object::PutOptions& options,
                                                          hash::ChecksumAlgo checksum_algo) {
  if (!buckets_.contains(bucket)) return Err(Code::kNoSuchBucket);
  std::string id = "upload-" + std::to_string(next_upload_++);
  Upload u{std::string(bucket), std::string(key), options, {}, {}};
  u.upload = {std::string(key), id, clock_ns_, options.storage_class, checksum_algo, {}};
  uploads_.emplace(id, std::move(u));
  return id;
}

Result<object::PartInfo> FakeObjectLayer::put_object_part(
    const object::RequestContext& ctx, std::string_view bucket, std::string_view key,
    std::string_view upload_id, int part_number, hash::HashingSource& body, int64_t size,
    const object::PartOptions&) {
  auto it = uploads_.find(upload_id);
  if (it == uploads_.end() || it->second.bucket != bucket || it->second.key != key) {
    return Err(Code::kNoSuchUpload);
  }
  Result<std::string> data = read_all(body);
  if (!data) return std::unexpected(data.error());
  Stored s;
  s.info.etag = body.md5_hex();
  s.info.size = data->size();
  s.data = std::move(*data);
  it->second.parts[part_number] = s;
  return object::PartInfo{part_number, s.info.etag, s.info.size, clock_ns_, ""};
}

Result<object::ListPartsResult> FakeObjectLayer::list_parts(const object::RequestContext& ctx,
                                                            std::string_view bucket,
                                                            std::string_view key,
                                                            std::string_view upload_id,
                                                            int part_marker, int max_parts) {
  auto it = uploads_.find(upload_id);
  if (it == uploads_.end()) return Err(Code::kNoSuchUpload);
  object::ListPartsResult r;
  r.upload = it->second.upload;
  for (auto& [n, s] : it->second.parts) {
    if (n <= part_marker) continue;
    if (static_cast<int>(r.parts.size()) == max_parts) {
      r.truncated = true;
      break;
    }
    r.parts.push_back({n, s.info.etag, s.info.size, clock_ns_, ""});
    r.next_part_number_marker = n;
  }
  return r;
}

Result<object::ObjectInfo> FakeObjectLayer::complete_multipart_upload(
    const object::RequestContext& ctx, std::string_view bucket, std::string_view key,
    std::string_view upload_id, const std::vector<object::CompletePart>& parts,
    const object::WritePrecondition& precondition) {
  auto it = uploads_.find(upload_id);
  if (it == uploads_.end()) return Err(Code::kNoSuchUpload);
  if (Status st = check_precondition(bucket, key, precondition); !st.ok()) {
    return std::unexpected(st);
  }
  Stored s;
  std::string md5s;
  for (const object::CompletePart& p : parts) {
    auto part = it->second.parts.find(p.number);
    if (part == it->second.parts.end() || part->second.info.etag != p.etag) {
      return Err(Code::kInvalidPart);
    }
    s.data += part->second.data;
    md5s += part->second.info.etag;
    s.info.parts.push_back({p.number, p.etag, part->second.info.size, clock_ns_, ""});
  }
  s.info.bucket = std::string(bucket);
  s.info.key = std::string(key);
  s.info.etag = Md5Hex(md5s) + "-" + std::to_string(parts.size());
  s.info.size = s.data.size();
  s.info.mod_time_ns = (clock_ns_ += 1000000000);
  s.info.content_type = it->second.options.content_type;
  s.info.metadata = it->second.options.metadata;
  s.info.tags = it->second.options.tags;
  objects_[{std::string(bucket), std::string(key)}] = s;
  uploads_.erase(it);
  return s.info;
}

Status FakeObjectLayer::abort_multipart_upload(const object::RequestContext& ctx,
                                               std::string_view bucket, std::string_view key,
                                               std::string_view upload_id) {
  auto it = uploads_.find(upload_id);
  if (it == uploads_.end()) return Status(Code::kNoSuchUpload);
  uploads_.erase(it);
  return {};
}

Result<object::ListUploadsResult> FakeObjectLayer::list_multipart_uploads(
    const object::RequestContext& ctx, std::string_view bucket,
    const object::ListUploadsOptions& options) {
  if (!buckets_.contains(bucket)) return Err(Code::kNoSuchBucket);
  object::ListUploadsResult r;
  for (auto& [id, u] : uploads_) {
    if (u.bucket == bucket && u.key.starts_with(options.prefix)) r.uploads.push_back(u.upload);
  }
  return r;
}

object::HealResult FakeObjectLayer::heal_object(const object::RequestContext& ctx,
                                                std::string_view bucket, std::string_view key) {
  return {std::string(bucket), std::string(key), 0, 0, Status()};
}

Status FakeObjectLayer::heal_objects(const object::RequestContext& ctx, std::string_view bucket,
                                     const std::function<bool(const object::HealResult&)>& each) {
  for (const auto& [id, stored] : objects_) {
    if (id.first == bucket && !each(heal_object(ctx, id.first, id.second))) break;
  }
  return Status::Ok();
}

bool FakeObjectLayer::has_object(std::string_view bucket, std::string_view key) const {
  return objects_.contains({std::string(bucket), std::string(key)});
}

std::string FakeObjectLayer::data(std::string_view bucket, std::string_view key) const {
  auto it = objects_.find({std::string(bucket), std::string(key)});
  return it == objects_.end() ? std::string() : it->second.data;
}

}  // namespace flashstor::s3::testing
