// Unit tests of SigV2 through SigV4Verifier::verify: AWS's legacy-page examples (virtual-host
// GET, PUT with Content-Type, ?acl sub-resource, presigned Expires), skew, expiry, tampering,
// x-amz-date overriding Date, unknown key, and V2 turned off.
#include <string>

#include "flashstor/auth/sigv4.h"
#include "sigv2.h"
#include "sigv4_test_util.h"

#include "cmocka_cpp.h"

using namespace flashstor;
using namespace flashstor::auth;
using namespace flashstor::auth::testing;

namespace {

constexpr std::time_t kGetTime = 1175024202;  // Tue, 27 Mar 2007 19:36:42 GMT
constexpr std::string_view kHost = "awsexamplebucket1.us-west-1.s3.amazonaws.com";

VerifyOptions V2Options(bool allow = true) {
  VerifyOptions o;
  o.domain = "us-west-1.s3.amazonaws.com";
  o.allow_sigv2 = allow;
  return o;
}

Result<AuthContext> Verify(TestRequest& r, std::time_t now, VerifyOptions o = V2Options()) {
  FakeCredentials creds;
  SigV4Verifier v(creds, std::move(o));
  return v.verify(r.request(), r.query(), now);
}

int CodeOf(const Result<AuthContext>& r) {
  return static_cast<int>(r ? Code::kOk : r.error().code());
}

TestRequest ExampleGet(
    std::string_view auth = "AWS AKIAIOSFODNN7EXAMPLE:qgk2+6Sv9/oM7G3qLEjTH1a1l1g=") {
  return TestRequest(
      "GET", "/photos/puppy.jpg",
      {{"Host", kHost}, {"Date", "Tue, 27 Mar 2007 19:36:42 +0000"}, {"Authorization", auth}});
}

void test_aws_examples(void**) {
  TestRequest get = ExampleGet();
  auto ctx = Verify(get, kGetTime);
  assert_true(ctx.has_value());
  assert_false(ctx->anonymous);
  assert_true(ctx->sigv2);
  assert_int_equal(static_cast<int>(ctx->method), static_cast<int>(AuthMethod::kHeader));
  TestRequest put("PUT", "/photos/puppy.jpg",
                  {{"Host", kHost},
                   {"Content-Type", "image/jpeg"},
                   {"Content-Length", "94328"},
                   {"Date", "Tue, 27 Mar 2007 21:15:45 +0000"},
                   {"Authorization", "AWS AKIAIOSFODNN7EXAMPLE:iqRzw+ileNPu1fhspnRs8nOjjIA="}});
  assert_int_equal(CodeOf(Verify(put, 1175030145)), 0);
  TestRequest acl("GET", "/",
                  {{"Host", kHost},
                   {"Date", "Tue, 27 Mar 2007 19:42:41 +0000"},
                   {"Authorization", "AWS AKIAIOSFODNN7EXAMPLE:uFyUzN4xdEJS4tTv4J38cEEawg4="}},
                  {{"acl", ""}});
  assert_int_equal(CodeOf(Verify(acl, 1175024561)), 0);
  // Query parameters that are not sub-resources stay out of the string to sign.
  TestRequest listed("GET", "/",
                     {{"Host", kHost},
                      {"Date", "Tue, 27 Mar 2007 19:42:41 +0000"},
                      {"Authorization", "AWS AKIAIOSFODNN7EXAMPLE:uFyUzN4xdEJS4tTv4J38cEEawg4="}},
                     {{"acl", ""}, {"prefix", "photos"}});
  assert_int_equal(CodeOf(Verify(listed, 1175024561)), 0);
}

void test_presigned(void**) {
  TestRequest r("GET", "/photos/puppy.jpg", {{"Host", kHost}},
                {{"AWSAccessKeyId", kAccessKey},
                 {"Expires", "1175139620"},
                 {"Signature", "1No4mq5ETf02z8aet9voy6gui6E="}});
  auto ctx = Verify(r, 1175139000);
  assert_true(ctx.has_value());
  assert_int_equal(static_cast<int>(ctx->method), static_cast<int>(AuthMethod::kQuery));
  assert_int_equal(CodeOf(Verify(r, 1175139621)), static_cast<int>(Code::kAccessDenied));
  // More than a week ahead.
  assert_int_equal(CodeOf(Verify(r, 1175139620 - 8 * 86400)),
                   static_cast<int>(Code::kAuthorizationHeaderMalformed));
  r.set_query("Expires", "abc");
  assert_int_equal(CodeOf(Verify(r, 1175139000)),
                   static_cast<int>(Code::kAuthorizationHeaderMalformed));
  r.set_query("Expires", "1175139621");  // not what was signed
  assert_int_equal(CodeOf(Verify(r, 1175139000)), static_cast<int>(Code::kSignatureMismatch));
}

void test_refusals(void**) {
  TestRequest get = ExampleGet();
  assert_int_equal(CodeOf(Verify(get, kGetTime + 16 * 60)),
                   static_cast<int>(Code::kRequestTimeTooSkewed));
  assert_int_equal(CodeOf(Verify(get, kGetTime, V2Options(false))),
                   static_cast<int>(Code::kInvalidRequest));
  TestRequest tampered = ExampleGet("AWS AKIAIOSFODNN7EXAMPLE:qgk2+6Sv9/oM7G3qLEjTH1a1l1h=");
  assert_int_equal(CodeOf(Verify(tampered, kGetTime)), static_cast<int>(Code::kSignatureMismatch));
  TestRequest unknown = ExampleGet("AWS AKIANOSUCHKEY:qgk2+6Sv9/oM7G3qLEjTH1a1l1g=");
  assert_int_equal(CodeOf(Verify(unknown, kGetTime)), static_cast<int>(Code::kInvalidAccessKeyId));
  TestRequest malformed = ExampleGet("AWS nocolon");
  assert_int_equal(CodeOf(Verify(malformed, kGetTime)), static_cast<int>(Code::kInvalidArgument));
  // An unsigned x-amz-* header changes the string to sign.
  TestRequest extra = ExampleGet();
  extra.add_header("x-amz-meta-x", "1");
  assert_int_equal(CodeOf(Verify(extra, kGetTime)), static_cast<int>(Code::kSignatureMismatch));
  // Without the virtual-host domain the resource lacks the bucket.
  TestRequest path_style = ExampleGet();
  VerifyOptions no_domain = V2Options();
  no_domain.domain.clear();
  assert_int_equal(CodeOf(Verify(path_style, kGetTime, no_domain)),
                   static_cast<int>(Code::kSignatureMismatch));
}

void test_string_to_sign_amz_headers(void**) {
  TestRequest r("PUT", "/b/k",
                {{"Host", "h"},
                 {"X-Amz-Meta-B", " two "},
                 {"x-amz-date", "Tue, 27 Mar 2007 19:36:42 GMT"},
                 {"x-amz-meta-b", "three"},
                 {"Content-MD5", "abc="},
                 {"Date", "ignored"}},
                {{"uploadId", "u 1"}, {"partNumber", "2"}, {"max-keys", "9"}});
  std::string sts;
  BuildSigV2StringToSign(r.request(), r.query(), "", "", false, sts);
  assert_string_equal(sts.c_str(),
                      "PUT\nabc=\n\n\nx-amz-date:Tue, 27 Mar 2007 19:36:42 GMT\n"
                      "x-amz-meta-b:two,three\n/b/k?partNumber=2&uploadId=u 1");
}

// A presigned URL of temporary credentials: x-amz-security-token travels in the query and is
// signed as a header (botocore, AWS); the query of a header-signed request is not.
void test_string_to_sign_presigned_token(void**) {
  TestRequest r("GET", "/b/k", {{"Host", "h"}},
                {{"AWSAccessKeyId", "ASIAEXAMPLE"},
                 {"Expires", "1700000000"},
                 {"Signature", "sig"},
                 {"x-amz-security-token", "tok+en"}});
  std::string sts;
  BuildSigV2StringToSign(r.request(), r.query(), "1700000000", "", false, sts);
  assert_string_equal(sts.c_str(), "GET\n\n\n1700000000\nx-amz-security-token:tok+en\n/b/k");
  TestRequest header("GET", "/b/k", {{"Host", "h"}}, {{"x-amz-meta-q", "v"}});
  BuildSigV2StringToSign(header.request(), header.query(), "d", "", false, sts);
  assert_string_equal(sts.c_str(), "GET\n\n\nd\n/b/k");
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_aws_examples),
      cmocka_unit_test(test_presigned),
      cmocka_unit_test(test_refusals),
      cmocka_unit_test(test_string_to_sign_amz_headers),
      cmocka_unit_test(test_string_to_sign_presigned_token),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
