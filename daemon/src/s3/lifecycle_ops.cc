// Put/Get/DeleteBucketLifecycleConfiguration: the rules are validated (object/lifecycle_rules)
// and stored in the bucket settings as canonical XML; the lifecycle worker carries them out.
#include <memory>
#include <string>
#include <unordered_map>

#include "flashstor/object/lifecycle_rules.h"
#include "flashstor/s3/xml_reader.h"
#include "op_context.h"

namespace flashstor::s3 {

namespace {

// The bucket's parsed rules, cached per thread by settings record (a record is immutable; an
// update replaces it), so GET and PUT do not parse XML for x-amz-expiration.
std::shared_ptr<const object::LifecycleConfig> CachedRules(
    const std::shared_ptr<const object::BucketMetadata>& meta) {
  struct Entry {
    std::weak_ptr<const object::BucketMetadata> meta;
    std::shared_ptr<const object::LifecycleConfig> rules;
  };
  thread_local std::unordered_map<std::string, Entry> cache;
  const std::string* doc = meta->config(object::kConfigLifecycle);
  if (doc == nullptr) return nullptr;
  Entry& e = cache[meta->name];
  if (e.meta.lock() == meta) return e.rules;
  if (cache.size() > 1024) cache.clear();  // bounded: a fresh entry is one parse away
  auto parsed = object::ParseLifecycleXml(*doc);
  Entry& fresh = cache[meta->name];
  fresh.meta = meta;
  fresh.rules =
      parsed ? std::make_shared<const object::LifecycleConfig>(std::move(*parsed)) : nullptr;
  return fresh.rules;
}

}  // namespace

void AddExpirationHeader(OpContext& ctx, const object::ObjectInfo& info) {
  auto meta = ctx.layer.get_bucket_metadata(ctx.request_ctx, ctx.res.bucket);
  if (!meta) return;
  auto rules = CachedRules(*meta);
  if (rules == nullptr) return;
  object::LifecycleObject lo{info.key, info.size, info.mod_time_ns, &info.tags};
  auto expiry = object::CurrentVersionExpiry(*rules, lo, ctx.config.lifecycle_day_ns);
  if (expiry) ctx.response().add_header("x-amz-expiration", object::ExpirationHeader(*expiry));
}

ApiError PutBucketLifecycle(OpContext& ctx) {
  hash::Expectations expect;
  FS_S3_RETURN_IF_ERROR(BuildPutExpectations(ctx, expect));
  hash::HashingSource body(ctx.body, std::move(expect));
  std::string xml;
  FS_S3_RETURN_IF_ERROR(ReadBoundedBody(body, object::kMaxBucketConfigBytes, xml));
  Result<object::LifecycleConfig> config = object::ParseLifecycleXml(xml);
  if (!config) return config.error();
  std::string canonical = object::LifecycleToXml(*config);
  FS_S3_RETURN_IF_ERROR(ctx.layer.update_bucket_metadata(
      ctx.request_ctx, ctx.res.bucket, [&](object::BucketMetadata& meta) {
        meta.configs[std::string(object::kConfigLifecycle)] = canonical;
        return Status::Ok();
      }));
  return SendEmpty(ctx, 200);
}

ApiError GetBucketLifecycle(OpContext& ctx) {
  auto meta = ctx.layer.get_bucket_metadata(ctx.request_ctx, ctx.res.bucket);
  if (!meta) return meta.error();
  const std::string* doc = (*meta)->config(object::kConfigLifecycle);
  if (doc == nullptr) return ApiError(ErrorId::kNoSuchLifecycleConfiguration);
  return SendXml(ctx, 200, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" + *doc);
}

ApiError DeleteBucketLifecycle(OpContext& ctx) {
  FS_S3_RETURN_IF_ERROR(ctx.layer.update_bucket_metadata(
      ctx.request_ctx, ctx.res.bucket, [](object::BucketMetadata& meta) {
        meta.configs.erase(std::string(object::kConfigLifecycle));
        return Status::Ok();
      }));
  return SendEmpty(ctx, 204);
}

}  // namespace flashstor::s3
