// Refused request inputs (refused_inputs.cc) and conditional writes through S3Handler (real
// SigV4 verifier, fake ObjectLayer): nothing a request asks for is silently ignored.
#include <string>

#include "flashstor/s3/refused_inputs.h"
#include "s3_test_harness.h"

#include "cmocka_cpp.h"

using namespace flashstor;
using namespace flashstor::s3;
using namespace flashstor::s3::testing;

namespace {

using Headers = std::vector<std::pair<std::string, std::string>>;

void ExpectRefused(Fixture& f, const std::string& key, const Headers& headers, int status,
                   const char* code) {
  TestResponse r = Do(f, "PUT", "/refb/" + key, "", "secret data", headers);
  assert_int_equal(r.status, status);
  assert_string_equal(ErrorCode(r).c_str(), code);
  assert_false(f.layer.has_object("refb", key));  // nothing stored
}

void test_put_refusals(void** state) {
  Fixture& f = *static_cast<Fixture*>(*state);
  assert_int_equal(Do(f, "PUT", "/refb").status, 200);
  ExpectRefused(f, "sse-s3", {{"x-amz-server-side-encryption", "AES256"}}, 501, "NotImplemented");
  ExpectRefused(f, "sse-kms",
                {{"x-amz-server-side-encryption", "aws:kms"},
                 {"x-amz-server-side-encryption-aws-kms-key-id", "k"}},
                501, "NotImplemented");
  ExpectRefused(f, "sse-c",
                {{"x-amz-server-side-encryption-customer-algorithm", "AES256"},
                 {"x-amz-server-side-encryption-customer-key", "a2V5"},
                 {"x-amz-server-side-encryption-customer-key-MD5", "bWQ1"}},
                400, "InvalidRequest");  // SSE-C over plain HTTP (sse_request.cc)
  ExpectRefused(f, "lock",
                {{"x-amz-object-lock-mode", "COMPLIANCE"},
                 {"x-amz-object-lock-retain-until-date", "2099-01-01T00:00:00Z"}},
                400, "InvalidRequest");
  ExpectRefused(f, "hold", {{"x-amz-object-lock-legal-hold", "ON"}}, 400, "InvalidRequest");
  ExpectRefused(f, "tag", {{"x-amz-tagging", "aws%3Ax=b"}}, 400, "InvalidTag");
  ExpectRefused(f, "acl", {{"x-amz-acl", "public-read"}}, 400, "AccessControlListNotSupported");
  ExpectRefused(f, "grant", {{"x-amz-grant-read", "id=x"}}, 400, "AccessControlListNotSupported");
  ExpectRefused(f, "redir", {{"x-amz-website-redirect-location", "/x"}}, 501, "NotImplemented");
  ExpectRefused(f, "owner", {{"x-amz-expected-bucket-owner", "123456789012"}}, 403, "AccessDenied");
  ExpectRefused(f, "inm", {{"If-None-Match", "\"abc\""}}, 501, "NotImplemented");

  // What we do anyway is accepted: the canned private ACL, our own owner id, requester pays.
  S3Config config;
  TestResponse ok = Do(f, "PUT", "/refb/fine", "", "x",
                       {{"x-amz-acl", "private"},
                        {"x-amz-expected-bucket-owner", config.owner_id},
                        {"x-amz-request-payer", "requester"},
                        {"x-amz-storage-class", "STANDARD"}});
  assert_int_equal(ok.status, 200);
}

void test_other_operation_refusals(void** state) {
  Fixture& f = *static_cast<Fixture*>(*state);
  assert_int_equal(Do(f, "PUT", "/refo").status, 200);
  assert_int_equal(Do(f, "PUT", "/refo/k", "", "plain").status, 200);
  // SSE-C on reads: the object was not encrypted with a customer key (AWS's answer).
  TestResponse get = Do(f, "GET", "/refo/k", "", "",
                        {{"x-amz-server-side-encryption-customer-algorithm", "AES256"}});
  assert_int_equal(get.status, 400);
  assert_string_equal(ErrorCode(get).c_str(), "InvalidRequest");
  TestResponse copy =
      Do(f, "PUT", "/refo/c", "", "",
         {{"x-amz-copy-source", "/refo/k"},
          {"x-amz-copy-source-server-side-encryption-customer-algorithm", "AES256"}});
  assert_int_equal(copy.status, 400);
  TestResponse tags = Do(f, "PUT", "/refo/c", "", "",
                         {{"x-amz-copy-source", "/refo/k"}, {"x-amz-tagging-directive", "MOVE"}});
  assert_string_equal(ErrorCode(tags).c_str(), "InvalidArgument");
  assert_false(f.layer.has_object("refo", "c"));
  TestResponse mpu = Do(f, "POST", "/refo/m", "uploads", "", {{"x-amz-tagging", "a=b&a=c"}});
  assert_string_equal(ErrorCode(mpu).c_str(), "InvalidTag");
  TestResponse mpu_sse =
      Do(f, "POST", "/refo/m", "uploads", "", {{"x-amz-server-side-encryption", "AES256"}});
  assert_string_equal(ErrorCode(mpu_sse).c_str(), "NotImplemented");

  // Buckets: Object Lock (a bad value), ownership, unsupported configuration elements.
  TestResponse lock = Do(f, "PUT", "/rlock", "", "", {{"x-amz-bucket-object-lock-enabled", "yes"}});
  assert_int_equal(lock.status, 400);
  TestResponse own = Do(f, "PUT", "/rown", "", "", {{"x-amz-object-ownership", "ObjectWriter"}});
  assert_int_equal(own.status, 501);
  TestResponse conf = Do(f, "PUT", "/rconf", "",
                         "<CreateBucketConfiguration><Bucket><Type>Directory</Type></Bucket>"
                         "</CreateBucketConfiguration>");
  assert_int_equal(conf.status, 501);
  assert_int_equal(Do(f, "HEAD", "/rlock").status, 404);
  assert_int_equal(Do(f, "HEAD", "/rconf").status, 404);
  assert_int_equal(
      Do(f, "PUT", "/rfalse", "", "", {{"x-amz-bucket-object-lock-enabled", "false"}}).status, 200);
}

void test_every_row_refuses(void** state) {
  // Each header row, sent alone to one of its operations, is refused.
  Fixture& f = *static_cast<Fixture*>(*state);
  for (const RefusedInput& row : RefusedInputs()) {
    assert_false(row.ops.empty());
    assert_false(row.message.empty());
    ApiError err;
    for (unsigned op = 0; op < static_cast<unsigned>(OpId::kCount); ++op) {
      if (!row.ops.has(static_cast<OpId>(op))) continue;
      http::Request req;
      std::string name(row.name);
      http::Header h{name, "some-value"};
      http::QueryParam q{name, "some-value", name, "some-value"};
      if (!row.query) req.headers = {&h, 1};
      err = CheckRefusedInputs(static_cast<OpId>(op), req,
                               row.query ? std::span<const http::QueryParam>(&q, 1)
                                         : std::span<const http::QueryParam>(),
                               "owner");
      assert_false(err.ok());
      // Empty values never ask for anything.
      h.value = "";
      q.value = "";
      if (!row.query) {
        assert_true(CheckRefusedInputs(static_cast<OpId>(op), req, {}, "owner").ok());
      }
    }
  }
  (void)f;
}

void test_conditional_put(void** state) {
  Fixture& f = *static_cast<Fixture*>(*state);
  Do(f, "PUT", "/condw");
  TestResponse first = Do(f, "PUT", "/condw/k", "", "old", {{"If-None-Match", "*"}});
  assert_int_equal(first.status, 200);
  TestResponse again = Do(f, "PUT", "/condw/k", "", "new", {{"If-None-Match", "*"}});
  assert_int_equal(again.status, 412);
  assert_string_equal(ErrorCode(again).c_str(), "PreconditionFailed");
  assert_string_equal(f.layer.data("condw", "k").c_str(), "old");
  TestResponse wrong = Do(f, "PUT", "/condw/k", "", "new", {{"If-Match", "\"0123\""}});
  assert_int_equal(wrong.status, 412);
  assert_string_equal(f.layer.data("condw", "k").c_str(), "old");
  TestResponse right = Do(f, "PUT", "/condw/k", "", "new", {{"If-Match", first.header("etag")}});
  assert_int_equal(right.status, 200);
  assert_string_equal(f.layer.data("condw", "k").c_str(), "new");
  TestResponse absent = Do(f, "PUT", "/condw/none", "", "x", {{"If-Match", "*"}});
  assert_string_equal(ErrorCode(absent).c_str(), "NoSuchKey");

  // Copy destination.
  TestResponse copy = Do(f, "PUT", "/condw/k", "", "",
                         {{"x-amz-copy-source", "/condw/k"},
                          {"x-amz-metadata-directive", "REPLACE"},
                          {"If-None-Match", "*"}});
  assert_int_equal(copy.status, 412);
  TestResponse copy_new = Do(f, "PUT", "/condw/k2", "", "",
                             {{"x-amz-copy-source", "/condw/k"}, {"If-None-Match", "*"}});
  assert_int_equal(copy_new.status, 200);
}

void test_conditional_delete(void** state) {
  Fixture& f = *static_cast<Fixture*>(*state);
  Do(f, "PUT", "/condd");
  std::string etag = Do(f, "PUT", "/condd/k", "", "data").header("etag");
  TestResponse wrong = Do(f, "DELETE", "/condd/k", "", "", {{"If-Match", "\"nope\""}});
  assert_int_equal(wrong.status, 412);
  assert_true(f.layer.has_object("condd", "k"));
  assert_int_equal(Do(f, "DELETE", "/condd/k", "", "", {{"If-Match", etag}}).status, 204);
  assert_false(f.layer.has_object("condd", "k"));
  TestResponse gone = Do(f, "DELETE", "/condd/k", "", "", {{"If-Match", "*"}});
  assert_string_equal(ErrorCode(gone).c_str(), "NoSuchKey");

  // DeleteObjects: <ETag> per key.
  Do(f, "PUT", "/condd/a", "", "a");
  std::string body = "<Delete><Object><Key>a</Key><ETag>\"nope\"</ETag></Object></Delete>";
  TestResponse batch = Do(f, "POST", "/condd", "delete", body);
  assert_int_equal(batch.status, 200);
  assert_true(batch.body.find("PreconditionFailed") != std::string::npos);
  assert_true(f.layer.has_object("condd", "a"));
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_put_refusals, SetupFixture, TeardownFixture),
      cmocka_unit_test_setup_teardown(test_other_operation_refusals, SetupFixture, TeardownFixture),
      cmocka_unit_test_setup_teardown(test_every_row_refuses, SetupFixture, TeardownFixture),
      cmocka_unit_test_setup_teardown(test_conditional_put, SetupFixture, TeardownFixture),
      cmocka_unit_test_setup_teardown(test_conditional_delete, SetupFixture, TeardownFixture),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
