// NotificationConfig: parsing and validation of AWS's NotificationConfiguration XML (pugixml),
// its canonical form, and event/key matching.
#include "flashstor/notify/notification_config.h"

#include <openssl/rand.h>
#include <pugixml.hpp>

#include <array>
#include <cstdio>
#include <sstream>

namespace flashstor::notify {
namespace {

constexpr const char* kXmlns = "http://s3.amazonaws.com/doc/2006-03-01/";

constexpr auto kKnownEvents = std::to_array<std::string_view>({
    "s3:ObjectCreated:*",
    "s3:ObjectCreated:Put",
    "s3:ObjectCreated:Post",
    "s3:ObjectCreated:Copy",
    "s3:ObjectCreated:CompleteMultipartUpload",
    "s3:ObjectRemoved:*",
    "s3:ObjectRemoved:Delete",
    "s3:ObjectRemoved:DeleteMarkerCreated",
    "s3:ObjectTagging:*",
    "s3:ObjectTagging:Put",
    "s3:ObjectTagging:Delete",
    "s3:LifecycleExpiration:*",
    "s3:LifecycleExpiration:Delete",
    "s3:LifecycleExpiration:DeleteMarkerCreated",
    // Flashstor's own (AWS sends no event for these): retention and legal-hold changes.
    "s3:ObjectRetention:*",
    "s3:ObjectRetention:Put",
    "s3:ObjectLegalHold:*",
    "s3:ObjectLegalHold:Put",
});

struct KindNames {
  DestinationKind kind;
  std::string_view element;  // QueueConfiguration
  std::string_view arn;      // Queue
};
constexpr KindNames kKinds[] = {
    {DestinationKind::kQueue, "QueueConfiguration", "Queue"},
    {DestinationKind::kTopic, "TopicConfiguration", "Topic"},
    {DestinationKind::kCloudFunction, "CloudFunctionConfiguration", "CloudFunction"},
};

std::unexpected<Status> Malformed(const char* why) {
  return Err(Code::kMalformedXml, why);
}
std::unexpected<Status> Invalid(const char* why) {
  return Err(Code::kInvalidArgument, why);
}

std::string_view LocalName(const pugi::xml_node& n) {
  std::string_view full = n.name();
  size_t colon = full.find(':');
  return colon == std::string_view::npos ? full : full.substr(colon + 1);
}

bool IsElement(const pugi::xml_node& n) {
  return n.type() == pugi::node_element;
}

std::string GeneratedId() {
  std::array<unsigned char, 12> raw{};
  if (RAND_bytes(raw.data(), static_cast<int>(raw.size())) != 1) raw.fill(0);
  std::string out = "notification-";
  char hex[3];
  for (unsigned char c : raw) {
    std::snprintf(hex, sizeof(hex), "%02x", c);
    out += hex;
  }
  return out;
}

// "s3:ObjectCreated:*" -> ("ObjectCreated", "*").
std::pair<std::string_view, std::string_view> SplitEvent(std::string_view name) {
  if (name.starts_with("s3:")) name.remove_prefix(3);
  size_t colon = name.find(':');
  if (colon == std::string_view::npos) return {name, {}};
  return {name.substr(0, colon), name.substr(colon + 1)};
}

bool EventsOverlap(std::string_view a, std::string_view b) {
  auto [ca, ta] = SplitEvent(a);
  auto [cb, tb] = SplitEvent(b);
  return ca == cb && (ta == tb || ta == "*" || tb == "*");
}

bool Overlapping(const NotificationRule& a, const NotificationRule& b) {
  bool events = false;
  for (const auto& ea : a.events) {
    for (const auto& eb : b.events) events = events || EventsOverlap(ea, eb);
  }
  if (!events) return false;
  const bool prefixes = a.prefix.starts_with(b.prefix) || b.prefix.starts_with(a.prefix);
  const bool suffixes = a.suffix.ends_with(b.suffix) || b.suffix.ends_with(a.suffix);
  return prefixes && suffixes;
}

// <Filter><S3Key><FilterRule><Name>prefix</Name><Value>x</Value></FilterRule>...</S3Key></Filter>
Status ParseFilter(const pugi::xml_node& filter, NotificationRule& rule) {
  bool has_prefix = false, has_suffix = false;
  for (pugi::xml_node key = filter.first_child(); key; key = key.next_sibling()) {
    if (!IsElement(key)) continue;
    if (LocalName(key) != "S3Key") return Status(Code::kMalformedXml, "unknown element in Filter");
    for (pugi::xml_node fr = key.first_child(); fr; fr = fr.next_sibling()) {
      if (!IsElement(fr)) continue;
      if (LocalName(fr) != "FilterRule") {
        return Status(Code::kMalformedXml, "unknown element in S3Key");
      }
      std::string name, value;
      bool named = false;
      for (pugi::xml_node f = fr.first_child(); f; f = f.next_sibling()) {
        if (!IsElement(f)) continue;
        if (LocalName(f) == "Name") {
          name = f.text().as_string();
          named = true;
        } else if (LocalName(f) == "Value") {
          value = f.text().as_string();
        } else {
          return Status(Code::kMalformedXml, "unknown element in FilterRule");
        }
      }
      if (!named) return Status(Code::kInvalidArgument, "FilterRule without a Name");
      if (value.size() > kMaxFilterValueChars) {
        return Status(Code::kInvalidArgument, "The filter value is too long");
      }
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (name == "prefix") {
        if (has_prefix) {
          return Status(Code::kInvalidArgument,
                        "Cannot specify more than one prefix rule in a "
                        "filter.");
        }
        has_prefix = true;
        rule.prefix = std::move(value);
      } else if (name == "suffix") {
        if (has_suffix) {
          return Status(Code::kInvalidArgument,
                        "Cannot specify more than one suffix rule in a "
                        "filter.");
        }
        has_suffix = true;
        rule.suffix = std::move(value);
      } else {
        return Status(Code::kInvalidArgument, "filter rule name must be either prefix or suffix");
      }
    }
  }
  return Status::Ok();
}

Result<NotificationRule> ParseRule(const pugi::xml_node& node, const KindNames& kind,
                                   const std::function<bool(std::string_view)>& arn_known) {
  NotificationRule rule;
  rule.kind = kind.kind;
  bool has_arn = false, has_filter = false, has_id = false;
  for (pugi::xml_node c = node.first_child(); c; c = c.next_sibling()) {
    if (!IsElement(c)) continue;
    std::string_view name = LocalName(c);
    if (name == "Id") {
      if (has_id) return Malformed("more than one Id");
      has_id = true;
      rule.id = c.text().as_string();
      if (rule.id.size() > kMaxRuleIdChars) return Invalid("The Id is too long");
    } else if (name == kind.arn) {
      if (has_arn) return Malformed("more than one destination ARN");
      has_arn = true;
      rule.arn = c.text().as_string();
    } else if (name == "Event") {
      std::string event = c.text().as_string();
      if (!IsKnownEventName(event)) return Invalid("The event is not supported for notifications");
      if (rule.events.size() >= kMaxEventsPerRule) return Invalid("too many events in a rule");
      rule.events.push_back(std::move(event));
    } else if (name == "Filter") {
      if (has_filter) return Malformed("more than one Filter");
      has_filter = true;
      FS_RETURN_IF_ERROR(ParseFilter(c, rule));
    } else {
      return Malformed("unknown element in a notification configuration");
    }
  }
  if (!has_arn) return Malformed("a notification configuration without its ARN");
  if (rule.events.empty()) return Malformed("a notification configuration without an Event");
  // Webhook targets are queue ARNs (arn:flashstor:sqs::<id>:webhook): a topic or function
  // configuration never names one of ours.
  if (rule.kind != DestinationKind::kQueue || !arn_known(rule.arn)) {
    return Invalid("Unable to validate the following destination configurations");
  }
  if (rule.id.empty()) rule.id = GeneratedId();
  return rule;
}

}  // namespace

bool IsKnownEventName(std::string_view name) {
  for (std::string_view known : kKnownEvents) {
    if (known == name) return true;
  }
  return false;
}

bool EventCovers(std::string_view configured, std::string_view event) {
  auto [cc, ct] = SplitEvent(configured);
  auto [ec, et] = SplitEvent(event);
  return cc == ec && (ct == "*" || ct == et);
}

Result<NotificationConfig> ParseNotificationXml(
    std::string_view xml, const std::function<bool(std::string_view arn)>& arn_known) {
  pugi::xml_document doc;
  if (!doc.load_buffer(xml.data(), xml.size(), pugi::parse_default, pugi::encoding_utf8)) {
    return Malformed("not well-formed XML");
  }
  pugi::xml_node root = doc.document_element();
  if (!root || LocalName(root) != "NotificationConfiguration") {
    return Malformed("the root element must be NotificationConfiguration");
  }
  NotificationConfig config;
  for (pugi::xml_node c = root.first_child(); c; c = c.next_sibling()) {
    if (!IsElement(c)) continue;
    std::string_view name = LocalName(c);
    if (name == "EventBridgeConfiguration") {
      return Err(Code::kNotImplemented, "EventBridge destinations are not supported");
    }
    const KindNames* kind = nullptr;
    for (const KindNames& k : kKinds) {
      if (k.element == name) kind = &k;
    }
    if (kind == nullptr) return Malformed("unknown element in NotificationConfiguration");
    if (config.rules.size() >= kMaxNotificationRules) {
      return Invalid("too many notification configurations");
    }
    auto rule = ParseRule(c, *kind, arn_known);
    if (!rule) return std::unexpected(rule.error());
    config.rules.push_back(std::move(*rule));
  }
  for (size_t i = 0; i < config.rules.size(); ++i) {
    for (size_t j = i + 1; j < config.rules.size(); ++j) {
      if (config.rules[i].id == config.rules[j].id) {
        return Invalid("Two notification configurations have the same Id");
      }
      if (Overlapping(config.rules[i], config.rules[j])) {
        return Invalid(
            "Configuration is ambiguously defined. Cannot have overlapping suffixes in two rules "
            "if the prefixes are overlapping for the same event type.");
      }
    }
  }
  return config;
}

std::string NotificationToXml(const NotificationConfig& config) {
  pugi::xml_document doc;
  pugi::xml_node root = doc.append_child("NotificationConfiguration");
  root.append_attribute("xmlns") = kXmlns;
  for (const NotificationRule& rule : config.rules) {
    const KindNames& names = kKinds[static_cast<size_t>(rule.kind)];
    pugi::xml_node n = root.append_child(std::string(names.element).c_str());
    n.append_child("Id").text() = rule.id.c_str();
    n.append_child(std::string(names.arn).c_str()).text() = rule.arn.c_str();
    for (const std::string& e : rule.events) n.append_child("Event").text() = e.c_str();
    if (!rule.prefix.empty() || !rule.suffix.empty()) {
      pugi::xml_node key = n.append_child("Filter").append_child("S3Key");
      auto add = [&key](const char* name, const std::string& value) {
        pugi::xml_node fr = key.append_child("FilterRule");
        fr.append_child("Name").text() = name;
        fr.append_child("Value").text() = value.c_str();
      };
      if (!rule.prefix.empty()) add("Prefix", rule.prefix);
      if (!rule.suffix.empty()) add("Suffix", rule.suffix);
    }
  }
  std::ostringstream out;
  doc.save(out, "", pugi::format_raw | pugi::format_no_declaration);
  return out.str();
}

std::vector<const NotificationRule*> MatchingRules(const NotificationConfig& config,
                                                   std::string_view event, std::string_view key) {
  std::vector<const NotificationRule*> out;
  for (const NotificationRule& rule : config.rules) {
    if (!key.starts_with(rule.prefix) || !key.ends_with(rule.suffix)) continue;
    for (const std::string& e : rule.events) {
      if (EventCovers(e, event)) {
        out.push_back(&rule);
        break;
      }
    }
  }
  return out;
}

}  // namespace flashstor::notify
