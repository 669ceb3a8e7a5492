// BucketMetadata: a bucket's settings -- creation time, versioning state, object lock, and
// the configuration documents the bucket subresources store (CORS, tagging, lifecycle, ...)
// -- and its on-drive record (a JSON object, cJSON). Each feature validates its client
// document, stores a canonical form under its config name, and parses it back when used.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "flashstor/common/status.h"

namespace flashstor::object {

enum class VersioningState : uint8_t {
  kUnversioned,  // never enabled: one object per key, version id "null" is implied
  kEnabled,      // every write adds a version with a fresh id
  kSuspended,    // writes replace the "null" version; older versions are kept
};

// Names of the configuration documents in BucketMetadata::configs.
inline constexpr std::string_view kConfigObjectLock = "object-lock";
inline constexpr std::string_view kConfigTagging = "tagging";
inline constexpr std::string_view kConfigCors = "cors";
inline constexpr std::string_view kConfigLifecycle = "lifecycle";
inline constexpr std::string_view kConfigEncryption = "encryption";
inline constexpr std::string_view kConfigNotification = "notification";
inline constexpr std::string_view kConfigPolicy = "policy";
inline constexpr std::string_view kConfigPublicAccessBlock = "public-access-block";

// Upper bound of one stored document (AWS caps lifecycle at 1,000 rules, CORS at 64 KiB).
inline constexpr size_t kMaxBucketConfigBytes = 256 * 1024;

struct BucketMetadata {
  std::string name;
  int64_t created_ns = 0;  // CLOCK_REALTIME
  // Bumped by every change (at least by one): of the records the drives hold, the highest
  // wins, so a drive that missed an update is outvoted.
  int64_t updated_ns = 0;
  VersioningState versioning = VersioningState::kUnversioned;
  bool object_lock_enabled = false;  // set at creation only (AWS: can't be turned off)
  std::map<std::string, std::string, std::less<>> configs;

  // The stored document, or nullptr when the bucket has none of that name.
  const std::string* config(std::string_view config_name) const {
    auto it = configs.find(config_name);
    return it == configs.end() ? nullptr : &it->second;
  }
  bool versioning_configured() const { return versioning != VersioningState::kUnversioned; }
};

std::string EncodeBucketMetadata(const BucketMetadata& meta);
// Reads a record. The first release wrote only {"created":"<ns>"}: that decodes to an
// unversioned bucket without configuration. kCorrupt for anything that is not a record.
Result<BucketMetadata> DecodeBucketMetadata(std::string_view bucket, std::string_view json);

std::string_view VersioningStateName(VersioningState state);  // "Enabled", "Suspended", ""

}  // namespace flashstor::object
