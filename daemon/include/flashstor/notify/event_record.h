// ObjectEvent and its S3 event message: AWS's event record structure (eventVersion 2.1) as
// JSON, one record per message body {"Records":[...]}.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace flashstor::notify {

struct ObjectEvent {
  std::string event_name;  // without "s3:": "ObjectCreated:Put"
  std::string bucket;
  std::string key;  // raw; the record carries it URL-encoded as AWS does
  uint64_t size = 0;
  bool has_size = false;  // created events carry size and eTag; removals do not
  std::string etag;       // hex, no quotes
  std::string version_id;
  int64_t time_ns = 0;  // CLOCK_REALTIME
  std::string principal_id;
  std::string source_ip;
  std::string request_id;
  std::string sequencer;  // hex, grows with time for one key
};

// The key as AWS puts it in event records: form-URL-encoded (space as '+', unreserved
// characters and "/" kept, everything else %XX).
std::string EventKeyEncode(std::string_view key);
// A sequencer: the event time in nanoseconds as 16 uppercase hex digits.
std::string EventSequencer(int64_t time_ns);
// {"Records":[{...}]} for one event matched by the configuration configuration_id.
std::string EventMessageJson(const ObjectEvent& event, std::string_view region,
                             std::string_view configuration_id);

}  // namespace flashstor::notify
