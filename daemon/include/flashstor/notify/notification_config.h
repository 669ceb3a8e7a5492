// NotificationConfig: a bucket's event notification rules (AWS's NotificationConfiguration
// XML: Queue/Topic/CloudFunction configurations with an ARN, events and a key filter), their
// validation, canonical XML form and the matching of an event against them.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "flashstor/common/status.h"

namespace flashstor::notify {

// Bounds of one configuration (AWS documents no count; these keep a document small).
inline constexpr size_t kMaxNotificationRules = 100;
inline constexpr size_t kMaxEventsPerRule = 16;
inline constexpr size_t kMaxFilterValueChars = 1024;
inline constexpr size_t kMaxRuleIdChars = 255;

enum class DestinationKind { kQueue, kTopic, kCloudFunction };

struct NotificationRule {
  DestinationKind kind = DestinationKind::kQueue;
  std::string id;
  std::string arn;
  std::vector<std::string> events;  // as given: "s3:ObjectCreated:*"
  std::string prefix;
  std::string suffix;
};

struct NotificationConfig {
  std::vector<NotificationRule> rules;
};

// True for an event name we produce or accept in a configuration ("s3:ObjectCreated:Put",
// "s3:ObjectRemoved:*", ...).
bool IsKnownEventName(std::string_view name);
// configured ("s3:ObjectCreated:*") covers event ("ObjectCreated:Put", without "s3:").
bool EventCovers(std::string_view configured, std::string_view event);

// Parses and validates a client document. arn_known says whether an ARN names a configured
// destination. Errors (AWS's): kMalformedXml; kInvalidArgument for an unknown ARN ("Unable to
// validate the following destination configurations"), an unknown event, a bad filter rule
// or overlapping rules; kNotImplemented for EventBridgeConfiguration. Rules without an Id get
// a generated one.
Result<NotificationConfig> ParseNotificationXml(
    std::string_view xml, const std::function<bool(std::string_view arn)>& arn_known);
// The canonical document (no XML declaration), which ParseNotificationXml reads back.
std::string NotificationToXml(const NotificationConfig& config);

// The rules whose events cover event ("ObjectCreated:Put") and whose filter matches key.
std::vector<const NotificationRule*> MatchingRules(const NotificationConfig& config,
                                                   std::string_view event, std::string_view key);

}  // namespace flashstor::notify
