// The on-drive record of a bucket's settings: a small JSON object (cJSON).
#include "flashstor/object/bucket_metadata.h"

#include <cjson/cJSON.h>

#include <cstdlib>
#include <memory>

namespace flashstor::object {
namespace {

struct JsonDeleter {
  void operator()(cJSON* j) const { cJSON_Delete(j); }
};
using JsonPtr = std::unique_ptr<cJSON, JsonDeleter>;

// Integers travel as decimal strings: a double would round nanosecond times.
void AddInt(cJSON* obj, const char* name, int64_t v) {
  cJSON_AddStringToObject(obj, name, std::to_string(v).c_str());
}

int64_t GetInt(const cJSON* obj, const char* name) {
  const cJSON* v = cJSON_GetObjectItemCaseSensitive(obj, name);
  return cJSON_IsString(v) ? std::strtoll(v->valuestring, nullptr, 10) : 0;
}

}  // namespace

std::string_view VersioningStateName(VersioningState state) {
  switch (state) {
    case VersioningState::kEnabled:
      return "Enabled";
    case VersioningState::kSuspended:
      return "Suspended";
    case VersioningState::kUnversioned:
      break;
  }
  return "";
}

std::string EncodeBucketMetadata(const BucketMetadata& meta) {
  JsonPtr root(cJSON_CreateObject());
  AddInt(root.get(), "created", meta.created_ns);
  AddInt(root.get(), "updated", meta.updated_ns);
  if (meta.versioning != VersioningState::kUnversioned) {
    cJSON_AddStringToObject(root.get(), "versioning",
                            std::string(VersioningStateName(meta.versioning)).c_str());
  }
  if (meta.object_lock_enabled) cJSON_AddBoolToObject(root.get(), "object_lock", true);
  if (!meta.configs.empty()) {
    cJSON* configs = cJSON_AddObjectToObject(root.get(), "configs");
    for (const auto& [name, doc] : meta.configs) {
      cJSON_AddStringToObject(configs, name.c_str(), doc.c_str());
    }
  }
  char* text = cJSON_PrintUnformatted(root.get());
  std::string out = text != nullptr ? text : "";
  cJSON_free(text);
  return out;
}

Result<BucketMetadata> DecodeBucketMetadata(std::string_view bucket, std::string_view json) {
  JsonPtr root(cJSON_ParseWithLength(json.data(), json.size()));
  if (!cJSON_IsObject(root.get())) return Err(Code::kCorrupt, "bucket record is not JSON");
  BucketMetadata meta;
  meta.name = std::string(bucket);
  meta.created_ns = GetInt(root.get(), "created");
  meta.updated_ns = GetInt(root.get(), "updated");
  const cJSON* versioning = cJSON_GetObjectItemCaseSensitive(root.get(), "versioning");
  if (cJSON_IsString(versioning)) {
    std::string_view v = versioning->valuestring;
    if (v == "Enabled") {
      meta.versioning = VersioningState::kEnabled;
    } else if (v == "Suspended") {
      meta.versioning = VersioningState::kSuspended;
    } else {
      return Err(Code::kCorrupt, "bucket record: unknown versioning state");
    }
  }
  meta.object_lock_enabled =
      cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(root.get(), "object_lock"));
  const cJSON* configs = cJSON_GetObjectItemCaseSensitive(root.get(), "configs");
  if (configs != nullptr) {
    if (!cJSON_IsObject(configs)) return Err(Code::kCorrupt, "bucket record: bad configs");
    const cJSON* item = nullptr;
    cJSON_ArrayForEach(item, configs) {
      if (!cJSON_IsString(item) || item->string == nullptr) {
        return Err(Code::kCorrupt, "bucket record: bad config document");
      }
      meta.configs.emplace(item->string, item->valuestring);
    }
  }
  return meta;
}

}  // namespace flashstor::object
