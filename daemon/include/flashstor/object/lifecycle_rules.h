// Lifecycle rules (S3 PutBucketLifecycleConfiguration): the model, the parser of AWS's XML
// document with AWS's validation (pugixml), the canonical XML stored in the bucket settings,
// and the decisions the lifecycle worker and the x-amz-expiration header need. A lifecycle
// day is day_ns long: 86,400 s in production, shorter in tests (--lifecycle-day-seconds).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "flashstor/common/status.h"

namespace flashstor::object {

inline constexpr size_t kMaxLifecycleRules = 1000;
inline constexpr int64_t kNsPerDay = 86'400'000'000'000;

using TagList = std::vector<std::pair<std::string, std::string>>;

struct LifecycleFilter {
  std::string prefix;
  TagList tags;                    // every one must be on the object
  uint64_t size_greater_than = 0;  // 0: no bound
  uint64_t size_less_than = 0;     // 0: no bound
};

struct LifecycleRule {
  std::string id;
  bool enabled = true;
  LifecycleFilter filter;
  bool filter_element = true;  // <Filter> (false: the legacy <Prefix> of the rule)
  // Expiration of the current version: after `days` days, at `date_ns`, or (versioned) the
  // removal of a delete marker left without versions.
  int expiration_days = 0;
  int64_t expiration_date_ns = 0;
  bool expired_object_delete_marker = false;
  // Noncurrent versions: removed noncurrent_days after they became noncurrent, keeping the
  // newest newer_noncurrent_versions of them.
  int noncurrent_days = 0;
  int newer_noncurrent_versions = 0;
  int abort_incomplete_days = 0;  // multipart uploads older than this are aborted
};

struct LifecycleConfig {
  std::vector<LifecycleRule> rules;
};

// AWS's checks: kMalformedXml for a document that is not a lifecycle configuration (unknown
// status, two filters, an empty Expiration...), kInvalidArgument for bad values (days not
// positive, a date not at midnight UTC, duplicate ids, an id over 255 characters),
// kInvalidRequest for a rule without action or with tags where AWS forbids them,
// kNotImplemented for transitions (one storage class: nothing to move to).
Result<LifecycleConfig> ParseLifecycleXml(std::string_view xml);

// The document as GetBucketLifecycleConfiguration returns it (and as it is stored).
std::string LifecycleToXml(const LifecycleConfig& config);

// What lifecycle knows of an object's current version.
struct LifecycleObject {
  std::string_view key;
  uint64_t size = 0;
  int64_t mod_time_ns = 0;
  const TagList* tags = nullptr;  // null: none
};

bool RuleMatches(const LifecycleRule& rule, const LifecycleObject& object);

// When the current version expires under the earliest enabled rule, and that rule's id;
// nullopt when no rule expires it. Days count from the modification time in whole lifecycle
// days (AWS rounds up to the next midnight UTC for real days; with a test day the expiry is
// exactly mod_time + days * day_ns).
struct Expiry {
  int64_t at_ns = 0;
  std::string rule_id;
};
std::optional<Expiry> CurrentVersionExpiry(const LifecycleConfig& config,
                                           const LifecycleObject& object, int64_t day_ns);

// When an upload initiated at initiated_ns is to be aborted; nullopt when no rule says so.
std::optional<int64_t> UploadAbortTime(const LifecycleConfig& config, std::string_view key,
                                       int64_t initiated_ns, int64_t day_ns);

// x-amz-expiration's value: expiry-date="<IMF-fixdate>", rule-id="<id>".
std::string ExpirationHeader(const Expiry& expiry);

}  // namespace flashstor::object
