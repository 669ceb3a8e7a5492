// S3Handler end to end over the in-memory Exchange, the real SigV4 verifier and the fake
// ObjectLayer: auth, error documents, bucket operations, listing, virtual hosts, admin paths,
// the request observer and trace ids.
#include <pugixml.hpp>

#include <string>

#include "flashstor/s3/s3_handler.h"
#include "s3_test_harness.h"

#include "cmocka_cpp.h"

using namespace flashstor;
using namespace flashstor::s3;
using namespace flashstor::s3::testing;

namespace {

void test_anonymous_denied(void** state) {
  Fixture& f = *static_cast<Fixture*>(*state);
  TestRequest r;
  r.payload = "";
  TestResponse resp = Run(f.handler, r);
  assert_int_equal(resp.status, 403);
  assert_string_equal(ErrorCode(resp).c_str(), "AccessDenied");
  assert_string_equal(resp.header("content-type").c_str(), "application/xml");
  assert_int_equal(resp.header("x-amz-request-id").size(), 16);
  pugi::xml_document doc;
  doc.load_string(resp.body.c_str());
  assert_string_equal(doc.child("Error").child("RequestId").text().get(),
                      resp.header("x-amz-request-id").c_str());
}

void test_no_such_bucket(void** state) {
  Fixture& f = *static_cast<Fixture*>(*state);
  TestResponse resp = Do(f, "GET", "/nobucket", "list-type=2");
  assert_int_equal(resp.status, 404);
  assert_string_equal(ErrorCode(resp).c_str(), "NoSuchBucket");
  pugi::xml_document doc;
  doc.load_string(resp.body.c_str());
  assert_string_equal(doc.child("Error").child("BucketName").text().get(), "nobucket");
  assert_string_equal(doc.child("Error").child("Resource").text().get(), "/nobucket");
  // HEAD errors carry no body but the right status.
  TestResponse head = Do(f, "HEAD", "/nobucket");
  assert_int_equal(head.status, 404);
  assert_true(head.body.empty());
}

void test_bucket_lifecycle(void** state) {
  Fixture& f = *static_cast<Fixture*>(*state);
  assert_int_equal(Do(f, "PUT", "/Bad_Name").status, 400);
  assert_string_equal(ErrorCode(Do(f, "PUT", "/metrics")).c_str(), "InvalidBucketName");
  TestResponse created = Do(f, "PUT", "/bkt");
  assert_int_equal(created.status, 200);
  assert_string_equal(created.header("location").c_str(), "/bkt");
  TestResponse again = Do(f, "PUT", "/bkt");
  assert_int_equal(again.status, 409);
  assert_string_equal(ErrorCode(again).c_str(), "BucketAlreadyOwnedByYou");
  assert_true(again.body.find("<BucketName>bkt</BucketName>") != std::string::npos);
  TestResponse wrong_region =
      Do(f, "PUT", "/other", "",
         "<CreateBucketConfiguration><LocationConstraint>eu-west-1</LocationConstraint>"
         "</CreateBucketConfiguration>");
  assert_string_equal(ErrorCode(wrong_region).c_str(), "IllegalLocationConstraintException");
  assert_int_equal(Do(f, "HEAD", "/bkt").status, 200);
  TestResponse loc = Do(f, "GET", "/bkt", "location");
  assert_int_equal(loc.status, 200);
  assert_true(loc.body.find("<LocationConstraint") != std::string::npos);
  TestResponse list = Do(f, "GET", "/");
  assert_true(list.body.find("<Name>bkt</Name>") != std::string::npos);
  assert_string_equal(ErrorCode(Do(f, "GET", "/bkt", "policy")).c_str(), "NoSuchBucketPolicy");
  assert_int_equal(Do(f, "GET", "/bkt", "versioning").status, 200);
  assert_int_equal(Do(f, "GET", "/bkt", "acl").status, 200);
  // Bucket features never configured: AWS's 404 for each; changing them is not implemented.
  assert_string_equal(ErrorCode(Do(f, "GET", "/bkt", "cors")).c_str(), "NoSuchCORSConfiguration");
  assert_string_equal(ErrorCode(Do(f, "GET", "/bkt", "tagging")).c_str(), "NoSuchTagSet");
  assert_string_equal(ErrorCode(Do(f, "GET", "/bkt", "lifecycle")).c_str(),
                      "NoSuchLifecycleConfiguration");
  assert_string_equal(ErrorCode(Do(f, "GET", "/bkt", "encryption")).c_str(),
                      "ServerSideEncryptionConfigurationNotFoundError");
  assert_string_equal(ErrorCode(Do(f, "GET", "/bkt", "object-lock")).c_str(),
                      "ObjectLockConfigurationNotFoundError");
  assert_int_equal(Do(f, "GET", "/bkt", "cors").status, 404);
  assert_string_equal(ErrorCode(Do(f, "GET", "/bkt", "website")).c_str(),
                      "NoSuchWebsiteConfiguration");
  assert_string_equal(ErrorCode(Do(f, "GET", "/bkt", "publicAccessBlock")).c_str(),
                      "NoSuchPublicAccessBlockConfiguration");
  TestResponse payer = Do(f, "GET", "/bkt", "requestPayment");
  assert_int_equal(payer.status, 200);
  assert_true(payer.body.find("<Payer>BucketOwner</Payer>") != std::string::npos);
  assert_int_equal(Do(f, "GET", "/bkt", "logging").status, 200);
  assert_string_equal(ErrorCode(Do(f, "GET", "/nobkt", "cors")).c_str(), "NoSuchBucket");
  assert_string_equal(ErrorCode(Do(f, "PUT", "/bkt", "tagging", "<Tagging/>")).c_str(),
                      "MalformedXML");
  assert_int_equal(Do(f, "POST", "/bkt/k").status, 405);
  assert_int_equal(Do(f, "PUT", "/bkt/k", "", "x").status, 200);
  // ACLs are disabled (BucketOwnerEnforced): only the owner-full-control forms are taken.
  assert_int_equal(Do(f, "PUT", "/bkt/k", "acl", "", {{"x-amz-acl", "private"}}).status, 200);
  assert_int_equal(Do(f, "PUT", "/bkt", "acl", "", {{"x-amz-acl", "private"}}).status, 200);
  assert_string_equal(
      ErrorCode(Do(f, "PUT", "/bkt/k", "acl", "", {{"x-amz-acl", "public-read"}})).c_str(),
      "AccessControlListNotSupported");
  assert_string_equal(ErrorCode(Do(f, "PUT", "/bkt", "acl", "<AccessControlPolicy/>")).c_str(),
                      "AccessControlListNotSupported");
  assert_string_equal(ErrorCode(Do(f, "PUT", "/bkt", "acl", "")).c_str(), "MalformedXML");
  assert_string_equal(
      ErrorCode(Do(f, "PUT", "/bkt/none", "acl", "", {{"x-amz-acl", "private"}})).c_str(),
      "NoSuchKey");
  TestResponse tags = Do(f, "GET", "/bkt/k", "tagging");
  assert_int_equal(tags.status, 200);
  assert_true(tags.body.find("<TagSet/>") != std::string::npos);
  assert_string_equal(ErrorCode(Do(f, "GET", "/bkt/none", "tagging")).c_str(), "NoSuchKey");
  assert_string_equal(ErrorCode(Do(f, "DELETE", "/bkt")).c_str(), "BucketNotEmpty");
  assert_int_equal(Do(f, "DELETE", "/bkt/k").status, 204);
  assert_int_equal(Do(f, "DELETE", "/bkt/k").status, 204);  // missing key: still 204
  assert_int_equal(Do(f, "DELETE", "/bkt").status, 204);
}

void test_listing(void** state) {
  Fixture& f = *static_cast<Fixture*>(*state);
  Do(f, "PUT", "/bkt5");
  for (const char* k : {"a", "b/1", "b/2", "c%20d"})
    Do(f, "PUT", std::string("/bkt5/") + k, "", "x");
  TestResponse v2 = Do(f, "GET", "/bkt5", "list-type=2&delimiter=%2F&max-keys=2");
  assert_int_equal(v2.status, 200);
  pugi::xml_document doc;
  assert_true(static_cast<bool>(doc.load_string(v2.body.c_str())));
  pugi::xml_node root = doc.child("ListBucketResult");
  assert_string_equal(root.child("KeyCount").text().get(), "2");
  assert_string_equal(root.child("IsTruncated").text().get(), "true");
  std::string token = root.child("NextContinuationToken").text().get();
  assert_false(token.empty());
  // Second page with the opaque token (url-encoded in the query).
  std::string q = "list-type=2&delimiter=%2F&continuation-token=" + http::UriEncode(token, true) +
                  "&encoding-type=url";
  TestResponse page2 = Do(f, "GET", "/bkt5", q);
  assert_int_equal(page2.status, 200);
  assert_true(page2.body.find("<Key>c%20d</Key>") != std::string::npos);
  assert_string_equal(ErrorCode(Do(f, "GET", "/bkt5", "list-type=2&max-keys=-1")).c_str(),
                      "InvalidArgument");
  assert_string_equal(
      ErrorCode(Do(f, "GET", "/bkt5", "list-type=2&continuation-token=%21%21")).c_str(),
      "InvalidArgument");
  // An empty continuation-token is no token: the listing starts at start-after.
  TestResponse empty_token = Do(f, "GET", "/bkt5", "list-type=2&continuation-token=&start-after=b");
  assert_int_equal(empty_token.status, 200);
  assert_true(empty_token.body.find("<Key>b/1</Key>") != std::string::npos);
  assert_true(empty_token.body.find("<Key>a</Key>") == std::string::npos);
  assert_string_equal(ErrorCode(Do(f, "GET", "/bkt5", "encoding-type=xml")).c_str(),
                      "InvalidArgument");
  TestResponse v1 = Do(f, "GET", "/bkt5", "marker=a");
  assert_true(v1.body.find("<Key>b/1</Key>") != std::string::npos);
  assert_true(v1.body.find("<Key>a</Key>") == std::string::npos);
}

void test_other_region_and_virtual_host(void** state) {
  Fixture& f = *static_cast<Fixture*>(*state);
  S3Config cfg;
  cfg.region = "eu-west-1";
  cfg.domain = "s3.test";
  auth::SigV4Verifier verifier(f.creds, auth::VerifyOptions{});
  S3Handler handler(f.layer, verifier, cfg);
  TestRequest r;
  r.method = "PUT";
  r.path = "/reg";
  assert_int_equal(Run(handler, r).status, 200);
  TestResponse again = Run(handler, r);
  assert_int_equal(again.status, 409);
  assert_string_equal(ErrorCode(again).c_str(), "BucketAlreadyOwnedByYou");
  // AWS's legacy us-east-1 answer (opt-in): re-creating an owned bucket is 200.
  S3Config legacy;
  legacy.us_east_1_recreate_ok = true;
  S3Handler legacy_handler(f.layer, verifier, legacy);
  assert_int_equal(Run(legacy_handler, r).status, 200);
  cfg.us_east_1_recreate_ok = true;  // ignored outside us-east-1
  S3Handler eu_handler(f.layer, verifier, cfg);
  assert_int_equal(Run(eu_handler, r).status, 409);
  // Virtual-hosted style: the bucket comes from the Host header.
  r.method = "GET";
  r.query = "location";
  r.path = "/";
  r.host = "reg.s3.test:9000";
  TestResponse loc = Run(handler, r);
  assert_int_equal(loc.status, 200);
  assert_true(loc.body.find(">eu-west-1</LocationConstraint>") != std::string::npos);
  r.method = "PUT";
  r.query = "";
  r.path = "/dir/obj";
  r.body = "vhost";
  assert_int_equal(Run(handler, r).status, 200);
  assert_string_equal(f.layer.data("reg", "dir/obj").c_str(), "vhost");
  // The domain itself is path-style.
  r.method = "GET";
  r.host = "s3.test";
  r.path = "/reg/dir/obj";
  r.body.clear();
  assert_string_equal(Run(handler, r).body.c_str(), "vhost");
}

class CountingAdmin final : public http::Handler {
 public:
  void serve(http::Exchange& ex) override {
    ++calls;
    ex.response().set_status(200);
    (void)ex.response().send("ok");
  }
  int calls = 0;
};

class RecordingObserver final : public RequestObserver {
 public:
  void on_request(const RequestSummary& s) override {
    operation = std::string(s.operation);
    bucket = std::string(s.bucket);
    key = std::string(s.key);
    error = std::string(s.error_code);
    status = s.http_status;
    access_key = std::string(s.access_key);
    bytes_in = s.bytes_in;
    bytes_out = s.bytes_out;
    trace = std::string(s.trace_id);
  }
  std::string operation, bucket, key, error, access_key, trace;
  int status = 0;
  uint64_t bytes_in = 0, bytes_out = 0;
};

void test_admin_and_observer(void** state) {
  Fixture& f = *static_cast<Fixture*>(*state);
  CountingAdmin admin;
  RecordingObserver obs;
  f.handler.set_admin_handler(&admin);
  f.handler.set_observer(&obs);
  TestRequest health;
  health.path = "/health/live";
  health.payload = "";
  TestResponse h = Run(f.handler, health);
  assert_int_equal(h.status, 200);
  assert_int_equal(admin.calls, 1);
  assert_string_equal(obs.operation.c_str(), "Admin");
  assert_true(S3Handler::IsAdminPath("/flashstor/admin/v1/info"));
  assert_false(S3Handler::IsAdminPath("/metricsx"));

  Do(f, "PUT", "/bkt8");
  TestResponse put = Do(f, "PUT", "/bkt8/obj", "", "12345");
  assert_string_equal(obs.operation.c_str(), "PutObject");
  assert_string_equal(obs.bucket.c_str(), "bkt8");
  assert_string_equal(obs.key.c_str(), "obj");
  assert_int_equal(obs.status, 200);
  assert_int_equal(obs.bytes_in, 5);
  assert_string_equal(obs.access_key.c_str(), std::string(kAccessKey).c_str());
  assert_string_equal(obs.trace.c_str(), put.header("x-amz-request-id").c_str());
  Do(f, "GET", "/bkt8/obj");
  assert_int_equal(obs.bytes_out, 5);
  Do(f, "GET", "/bkt8/missing");
  assert_string_equal(obs.error.c_str(), "NoSuchKey");
  assert_int_equal(obs.status, 404);
  f.handler.set_observer(nullptr);
  f.handler.set_admin_handler(nullptr);
}

void test_trace_ids_unique(void** state) {
  (void)state;
  std::array<char, 16> a = S3Handler::NewTraceId();
  std::array<char, 16> b = S3Handler::NewTraceId();
  assert_true(a != b);
  for (char c : a) assert_true((c >= '0' && c <= '9') || (c >= 'A' && c <= 'F'));
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_anonymous_denied, SetupFixture, TeardownFixture),
      cmocka_unit_test_setup_teardown(test_no_such_bucket, SetupFixture, TeardownFixture),
      cmocka_unit_test_setup_teardown(test_bucket_lifecycle, SetupFixture, TeardownFixture),
      cmocka_unit_test_setup_teardown(test_listing, SetupFixture, TeardownFixture),
      cmocka_unit_test_setup_teardown(test_admin_and_observer, SetupFixture, TeardownFixture),
      cmocka_unit_test_setup_teardown(test_other_region_and_virtual_host, SetupFixture,
                                      TeardownFixture),
      cmocka_unit_test(test_trace_ids_unique),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
