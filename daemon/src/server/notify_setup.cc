// OpenNotifier: config::WebhookTarget -> notify::TargetOptions, token files read here;
// LifecycleEventPublisher: lifecycle removals -> bucket events.
#include "flashstor/server/notify_setup.h"

#include "flashstor/notify/bucket_events.h"

#include <fstream>
#include <sstream>
#include <utility>

namespace flashstor::server {
namespace {

constexpr size_t kMaxTokenBytes = 4096;

std::expected<std::string, std::string> ReadToken(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::unexpected(std::string("cannot read the auth_token_file"));
  std::string token(kMaxTokenBytes + 1, '\0');
  in.read(token.data(), static_cast<std::streamsize>(token.size()));
  token.resize(static_cast<size_t>(in.gcount()));
  if (token.size() > kMaxTokenBytes) return std::unexpected(std::string("token file too large"));
  while (!token.empty() && (token.back() == '\n' || token.back() == '\r' || token.back() == ' ')) {
    token.pop_back();
  }
  for (char c : token) {
    if (static_cast<unsigned char>(c) < 0x21 || c == 0x7f) {
      return std::unexpected(std::string("token holds spaces or control characters"));
    }
  }
  if (token.empty()) return std::unexpected(std::string("empty token file"));
  return token;
}

}  // namespace

std::expected<std::unique_ptr<notify::Notifier>, std::string> OpenNotifier(
    const config::Config& cfg, std::span<const std::shared_ptr<storage::StorageApi>> drives) {
  if (cfg.notify_webhook.empty()) return nullptr;
  std::vector<notify::TargetOptions> targets;
  for (const config::WebhookTarget& t : cfg.notify_webhook) {
    notify::TargetOptions o;
    o.id = t.id;
    auto url = notify::ParseWebhookUrl(t.endpoint);
    if (!url) {
      return std::unexpected("notify_webhook " + t.id + ": endpoint " +
                             std::string(url.error().message()));
    }
    o.url = std::move(*url);
    if (!t.auth_token_file.empty()) {
      auto token = ReadToken(t.auth_token_file);
      if (!token) return std::unexpected("notify_webhook " + t.id + ": " + token.error());
      o.bearer_token = std::move(*token);
    }
    o.max_events = static_cast<uint64_t>(t.queue_limit);
    o.max_bytes = static_cast<uint64_t>(t.queue_bytes_limit);
    targets.push_back(std::move(o));
  }
  return std::make_unique<notify::Notifier>(std::move(targets), drives, cfg.region);
}

object::LifecycleObserver LifecycleEventPublisher(notify::Notifier* notifier,
                                                  object::ObjectLayer& layer) {
  if (notifier == nullptr) return {};
  return [notifier, &layer](const object::LifecycleRemoval& removed) {
    static const object::RequestContext kLifecycle =
        object::RequestContext::Background("lifecycle");
    auto meta = layer.get_bucket_metadata(kLifecycle, removed.bucket);
    if (!meta || (*meta)->config(object::kConfigNotification) == nullptr) return;
    notify::ObjectEvent event;
    event.event_name = removed.delete_marker_created ? "LifecycleExpiration:DeleteMarkerCreated"
                                                     : "LifecycleExpiration:Delete";
    event.bucket = removed.bucket;
    event.key = removed.key;
    event.version_id = removed.version_id;
    event.principal_id = "s3.amazonaws.com";
    (void)notify::PublishBucketEvent(*notifier, *meta, std::move(event));
  };
}

}  // namespace flashstor::server
