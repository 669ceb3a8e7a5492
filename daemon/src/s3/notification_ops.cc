// Put/GetBucketNotificationConfiguration (?notification), and PublishObjectEvent: after an
// object operation succeeded, the bucket's matching rules queue its event record (durably,
// before the answer) for their webhook targets (notify/notifier.h).
#include <string>

#include "flashstor/notify/bucket_events.h"
#include "flashstor/notify/notifier.h"
#include "flashstor/s3/xml_reader.h"
#include "flashstor/s3/xml_writer.h"
#include "op_context.h"

namespace flashstor::s3 {
namespace {

// "ip:port" or "[v6]:port" -> the address alone.
std::string_view AddressOnly(std::string_view remote) {
  if (remote.starts_with('[')) {
    size_t close = remote.find(']');
    return close == std::string_view::npos ? remote : remote.substr(1, close - 1);
  }
  size_t colon = remote.rfind(':');
  return colon == std::string_view::npos ? remote : remote.substr(0, colon);
}

}  // namespace

void PublishObjectEvent(OpContext& ctx, std::string_view event_name, std::string_view key,
                        const object::ObjectInfo* info, std::string_view version_id) {
  notify::Notifier* notifier = ctx.config.notifier;
  if (notifier == nullptr) return;
  auto meta = ctx.layer.get_bucket_metadata(ctx.request_ctx, ctx.res.bucket);
  if (!meta || (*meta)->config(object::kConfigNotification) == nullptr) return;
  notify::ObjectEvent event;
  event.event_name = std::string(event_name);
  event.bucket = std::string(ctx.res.bucket);
  event.key = std::string(key);
  if (info != nullptr) {
    event.has_size = true;
    event.size = info->size;
    event.etag = info->etag;
  }
  event.version_id = std::string(version_id);
  event.principal_id = ctx.auth.anonymous ? "anonymous" : ctx.auth.access_key;
  event.source_ip = std::string(AddressOnly(ctx.ex.remote_address()));
  event.request_id = std::string(ctx.trace_id);
  (void)notify::PublishBucketEvent(*notifier, *meta, std::move(event));
}

ApiError PutBucketNotification(OpContext& ctx) {
  hash::Expectations expect;
  FS_S3_RETURN_IF_ERROR(BuildPutExpectations(ctx, expect));
  hash::HashingSource body(ctx.body, std::move(expect));
  std::string xml;
  FS_S3_RETURN_IF_ERROR(ReadBoundedBody(body, object::kMaxBucketConfigBytes, xml));
  notify::Notifier* notifier = ctx.config.notifier;
  auto config = notify::ParseNotificationXml(xml, [notifier](std::string_view arn) {
    return notifier != nullptr && notifier->has_arn(arn);
  });
  if (!config) return config.error();
  // An empty configuration turns notifications off (AWS).
  std::string canonical = config->rules.empty() ? "" : notify::NotificationToXml(*config);
  FS_S3_RETURN_IF_ERROR(ctx.layer.update_bucket_metadata(
      ctx.request_ctx, ctx.res.bucket, [&](object::BucketMetadata& meta) {
        if (canonical.empty()) {
          meta.configs.erase(std::string(object::kConfigNotification));
        } else {
          meta.configs[std::string(object::kConfigNotification)] = canonical;
        }
        return Status::Ok();
      }));
  return SendEmpty(ctx, 200);
}

ApiError GetBucketNotification(OpContext& ctx) {
  auto meta = ctx.layer.get_bucket_metadata(ctx.request_ctx, ctx.res.bucket);
  if (!meta) return meta.error();
  const std::string* doc = (*meta)->config(object::kConfigNotification);
  if (doc == nullptr) return SendXml(ctx, 200, NoNotificationsXml());
  return SendXml(ctx, 200, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" + *doc);
}

}  // namespace flashstor::s3
