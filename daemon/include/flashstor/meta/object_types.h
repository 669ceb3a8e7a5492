// The value types an object version is described by that every layer shares: user metadata
// pairs and the object lock. They sit below the storage seam with the metadata records
// (object_meta.h), so a drive can apply a version commit itself.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace flashstor::object {

using Metadata = std::vector<std::pair<std::string, std::string>>;  // lowercase names

// S3 Object Lock on one version: retention (GOVERNANCE or COMPLIANCE until a time) and a
// legal hold. While either holds, the version cannot be deleted (delete_object_version).
enum class RetentionMode : uint8_t { kNone = 0, kGovernance = 1, kCompliance = 2 };
struct ObjectLock {
  RetentionMode mode = RetentionMode::kNone;
  int64_t retain_until_ns = 0;  // CLOCK_REALTIME; 0 with kNone
  bool legal_hold = false;
  bool operator==(const ObjectLock&) const = default;
  // Whether the version may not be deleted at now_ns (bypass: GOVERNANCE does not count).
  bool protects(int64_t now_ns, bool bypass_governance) const {
    if (legal_hold) return true;
    if (mode == RetentionMode::kNone || retain_until_ns <= now_ns) return false;
    return mode == RetentionMode::kCompliance || !bypass_governance;
  }
};

}  // namespace flashstor::object
