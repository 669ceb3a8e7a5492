// Unit tests of the S3 event message: AWS's record structure (eventVersion 2.1), the key
// URL-encoded as AWS encodes it, size/eTag only for created objects; webhook URL parsing.
#include <cjson/cJSON.h>

#include <string>

#include "flashstor/notify/event_record.h"
#include "flashstor/notify/webhook_client.h"

#include "cmocka_cpp.h"

using namespace flashstor;

namespace {

std::string Field(const cJSON* root, std::initializer_list<const char*> path) {
  const cJSON* j = root;
  for (const char* p : path) j = cJSON_GetObjectItemCaseSensitive(j, p);
  return cJSON_IsString(j) ? j->valuestring : "<missing>";
}

void test_record(void**) {
  notify::ObjectEvent e;
  e.event_name = "ObjectCreated:Put";
  e.bucket = "photos";
  e.key = "dir/a b+c&é.jpg";
  e.size = 1234;
  e.has_size = true;
  e.etag = "d41d8cd98f00b204e9800998ecf8427e";
  e.version_id = "v1";
  e.time_ns = 1'700'000'000'123'000'000;
  e.principal_id = "AKIA";
  e.source_ip = "127.0.0.1";
  e.request_id = "REQ1";
  e.sequencer = notify::EventSequencer(e.time_ns);
  std::string json = notify::EventMessageJson(e, "us-east-1", "cfg1");
  cJSON* root = cJSON_Parse(json.c_str());
  assert_non_null(root);
  cJSON* records = cJSON_GetObjectItemCaseSensitive(root, "Records");
  assert_int_equal(cJSON_GetArraySize(records), 1);
  cJSON* r = cJSON_GetArrayItem(records, 0);
  assert_string_equal(Field(r, {"eventVersion"}).c_str(), "2.1");
  assert_string_equal(Field(r, {"eventSource"}).c_str(), "aws:s3");
  assert_string_equal(Field(r, {"awsRegion"}).c_str(), "us-east-1");
  assert_string_equal(Field(r, {"eventTime"}).c_str(), "2023-11-14T22:13:20.123Z");
  assert_string_equal(Field(r, {"eventName"}).c_str(), "ObjectCreated:Put");
  assert_string_equal(Field(r, {"userIdentity", "principalId"}).c_str(), "AKIA");
  assert_string_equal(Field(r, {"requestParameters", "sourceIPAddress"}).c_str(), "127.0.0.1");
  assert_string_equal(Field(r, {"responseElements", "x-amz-request-id"}).c_str(), "REQ1");
  assert_string_equal(Field(r, {"s3", "configurationId"}).c_str(), "cfg1");
  assert_string_equal(Field(r, {"s3", "bucket", "name"}).c_str(), "photos");
  assert_string_equal(Field(r, {"s3", "bucket", "arn"}).c_str(), "arn:aws:s3:::photos");
  assert_string_equal(Field(r, {"s3", "object", "key"}).c_str(), "dir/a+b%2Bc%26%C3%A9.jpg");
  assert_string_equal(Field(r, {"s3", "object", "eTag"}).c_str(), e.etag.c_str());
  assert_string_equal(Field(r, {"s3", "object", "versionId"}).c_str(), "v1");
  assert_string_equal(Field(r, {"s3", "object", "sequencer"}).c_str(), "17979CFE3D7ED4C0");
  cJSON* size = cJSON_GetObjectItemCaseSensitive(
      cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(r, "s3"), "object"),
      "size");
  assert_true(cJSON_IsNumber(size) && size->valuedouble == 1234);
  cJSON_Delete(root);

  // A removal carries neither size nor eTag.
  e.event_name = "ObjectRemoved:Delete";
  e.has_size = false;
  root = cJSON_Parse(notify::EventMessageJson(e, "us-east-1", "cfg1").c_str());
  r = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(root, "Records"), 0);
  assert_string_equal(Field(r, {"s3", "object", "eTag"}).c_str(), "<missing>");
  cJSON_Delete(root);
}

void test_webhook_url(void**) {
  auto u = notify::ParseWebhookUrl("http://example.com:8080/hook/in?x=1");
  assert_true(u.has_value());
  assert_string_equal(u->host.c_str(), "example.com");
  assert_string_equal(u->port.c_str(), "8080");
  assert_string_equal(u->path.c_str(), "/hook/in?x=1");
  u = notify::ParseWebhookUrl("http://[::1]/");
  assert_true(u.has_value() && u->host == "::1" && u->port == "80");
  u = notify::ParseWebhookUrl("http://h");
  assert_true(u.has_value() && u->path == "/");
  assert_false(notify::ParseWebhookUrl("https://h/").has_value());
  assert_false(notify::ParseWebhookUrl("http://user:pw@h/").has_value());
  assert_false(notify::ParseWebhookUrl("http://h:99999/").has_value());
  assert_false(notify::ParseWebhookUrl("http://h:/").has_value());
  assert_false(notify::ParseWebhookUrl("http:///x").has_value());
  assert_false(notify::ParseWebhookUrl("http://h/a b").has_value());
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_record),
      cmocka_unit_test(test_webhook_url),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
