// The S3 event message JSON (cJSON), AWS's event message structure version 2.1.
#include "flashstor/notify/event_record.h"

#include <cjson/cJSON.h>

#include <cctype>
#include <cstdio>
#include <ctime>
#include <memory>

#include "flashstor/common/utc_time.h"

namespace flashstor::notify {
namespace {

struct JsonDeleter {
  void operator()(cJSON* j) const { cJSON_Delete(j); }
};

// 2026-01-02T03:04:05.678Z, as AWS writes eventTime.
std::string IsoTime(int64_t ns) {
  return FormatIso8601Ms(ns / 1'000'000);  // event times are after 1970
}

cJSON* Object(cJSON* parent, const char* name) {
  return cJSON_AddObjectToObject(parent, name);
}

void Str(cJSON* parent, const char* name, std::string_view value) {
  cJSON_AddItemToObject(parent, name, cJSON_CreateString(std::string(value).c_str()));
}

}  // namespace

std::string EventKeyEncode(std::string_view key) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(key.size());
  for (unsigned char c : key) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '*' || c == '/') {
      out += static_cast<char>(c);
    } else if (c == ' ') {
      out += '+';
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string EventSequencer(int64_t time_ns) {
  char buf[20];
  std::snprintf(buf, sizeof(buf), "%016llX", static_cast<unsigned long long>(time_ns));
  return buf;
}

std::string EventMessageJson(const ObjectEvent& event, std::string_view region,
                             std::string_view configuration_id) {
  std::unique_ptr<cJSON, JsonDeleter> root(cJSON_CreateObject());
  cJSON* records = cJSON_AddArrayToObject(root.get(), "Records");
  cJSON* r = cJSON_CreateObject();
  cJSON_AddItemToArray(records, r);
  Str(r, "eventVersion", "2.1");
  Str(r, "eventSource", "aws:s3");
  Str(r, "awsRegion", region);
  Str(r, "eventTime", IsoTime(event.time_ns));
  Str(r, "eventName", event.event_name);
  Str(Object(r, "userIdentity"), "principalId", event.principal_id);
  Str(Object(r, "requestParameters"), "sourceIPAddress", event.source_ip);
  cJSON* resp = Object(r, "responseElements");
  Str(resp, "x-amz-request-id", event.request_id);
  Str(resp, "x-amz-id-2", event.request_id);
  cJSON* s3 = Object(r, "s3");
  Str(s3, "s3SchemaVersion", "1.0");
  Str(s3, "configurationId", configuration_id);
  cJSON* bucket = Object(s3, "bucket");
  Str(bucket, "name", event.bucket);
  Str(Object(bucket, "ownerIdentity"), "principalId", event.principal_id);
  Str(bucket, "arn", "arn:aws:s3:::" + event.bucket);
  cJSON* object = Object(s3, "object");
  Str(object, "key", EventKeyEncode(event.key));
  if (event.has_size) {
    cJSON_AddNumberToObject(object, "size", static_cast<double>(event.size));
    Str(object, "eTag", event.etag);
  }
  if (!event.version_id.empty()) Str(object, "versionId", event.version_id);
  Str(object, "sequencer", event.sequencer);
  char* text = cJSON_PrintUnformatted(root.get());
  std::string out = text != nullptr ? text : "";
  cJSON_free(text);
  return out;
}

}  // namespace flashstor::notify
