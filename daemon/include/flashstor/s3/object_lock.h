// S3 Object Lock documents and headers: the bucket's <ObjectLockConfiguration> (with its
// default retention), a version's <Retention> and <LegalHold> bodies, and the
// x-amz-object-lock-* headers of PutObject, CopyObject and CreateMultipartUpload. Pure
// functions; object_lock_ops.cc applies them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "flashstor/http/request.h"
#include "flashstor/object/object_layer.h"
#include "flashstor/s3/error_table.h"

namespace flashstor::s3 {

inline constexpr size_t kMaxObjectLockBodyBytes = 16u << 10;
inline constexpr int kMaxRetentionDays = 36500;  // 100 years, as AWS bounds it
inline constexpr int kMaxRetentionYears = 100;

// A bucket's default retention: mode kNone when the configuration has no rule.
struct DefaultRetention {
  object::RetentionMode mode = object::RetentionMode::kNone;
  int days = 0;  // exactly one of days and years is set with a mode
  int years = 0;
};

// <ObjectLockConfiguration><ObjectLockEnabled>Enabled</ObjectLockEnabled>[<Rule>
// <DefaultRetention><Mode/><Days/>|<Years/></DefaultRetention></Rule>]; MalformedXML or
// InvalidArgument (AWS's messages) otherwise.
ApiError ParseObjectLockConfiguration(std::string_view xml, DefaultRetention& out);
// The canonical document (stored in the bucket settings and returned by Get).
std::string ObjectLockConfigurationXml(const DefaultRetention& rule);

// Retain-until of a version created at now_ns under the rule (0: no rule).
int64_t DefaultRetainUntil(const DefaultRetention& rule, int64_t now_ns);

// "2030-01-01T00:00:00Z" or with fractional seconds ("...00.000Z"); nullopt otherwise.
std::optional<int64_t> ParseLockDate(std::string_view text);

// <Retention><Mode/><RetainUntilDate/></Retention>: both, or neither (removes the retention:
// mode kNone). A date not after now_ns is refused (InvalidArgument), as AWS does.
ApiError ParseRetention(std::string_view xml, int64_t now_ns, object::ObjectLock& out);
std::string RetentionXml(const object::ObjectLock& lock);

// <LegalHold><Status>ON|OFF</Status></LegalHold>.
ApiError ParseLegalHold(std::string_view xml, bool& on);
std::string LegalHoldXml(bool on);

// The x-amz-object-lock-mode / -retain-until-date / -legal-hold headers of a write.
struct LockHeaders {
  object::ObjectLock lock;
  bool retention = false;   // mode and date were sent
  bool legal_hold = false;  // x-amz-object-lock-legal-hold was sent
  bool any() const { return retention || legal_hold; }
};
ApiError ParseLockHeaders(const http::Request& req, int64_t now_ns, LockHeaders& out);

// The response headers of GET and HEAD for a version's lock ("" values: leave out).
std::string_view RetentionModeName(object::RetentionMode mode);

}  // namespace flashstor::s3
