// PublishBucketEvent: the bucket's cached rules, then Notifier::publish.
#include "flashstor/notify/bucket_events.h"

#include <time.h>

#include <string>
#include <unordered_map>

#include "flashstor/notify/notification_config.h"

namespace flashstor::notify {
namespace {

// The bucket's parsed rules, cached per thread by settings record (records are immutable; an
// update replaces the record), so object writes do not parse XML.
std::shared_ptr<const NotificationConfig> CachedRules(
    const std::shared_ptr<const object::BucketMetadata>& meta) {
  struct Entry {
    std::weak_ptr<const object::BucketMetadata> meta;
    std::shared_ptr<const NotificationConfig> rules;
  };
  thread_local std::unordered_map<std::string, Entry> cache;
  const std::string* doc = meta->config(object::kConfigNotification);
  if (doc == nullptr) return nullptr;
  auto hit = cache.find(meta->name);
  if (hit != cache.end() && hit->second.meta.lock() == meta) return hit->second.rules;
  if (cache.size() > 1024) cache.clear();  // bounded: a fresh entry is one parse away
  // The stored document was validated when it was put; its ARNs are checked again at
  // publishing (a target may have left the server config since).
  auto parsed = ParseNotificationXml(*doc, [](std::string_view) { return true; });
  Entry& fresh = cache[meta->name];
  fresh.meta = meta;
  fresh.rules = parsed ? std::make_shared<const NotificationConfig>(std::move(*parsed)) : nullptr;
  return fresh.rules;
}

}  // namespace

size_t PublishBucketEvent(Notifier& notifier,
                          const std::shared_ptr<const object::BucketMetadata>& bucket,
                          ObjectEvent event) {
  auto rules = CachedRules(bucket);
  if (rules == nullptr) return 0;
  if (event.time_ns == 0) {
    struct timespec now {};
    clock_gettime(CLOCK_REALTIME, &now);
    event.time_ns = static_cast<int64_t>(now.tv_sec) * 1'000'000'000 + now.tv_nsec;
  }
  if (event.sequencer.empty()) event.sequencer = EventSequencer(event.time_ns);
  return notifier.publish(*rules, event);
}

}  // namespace flashstor::notify
