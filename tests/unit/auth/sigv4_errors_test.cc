// Unit tests of SigV4Verifier::verify rejecting requests: skew, expiry, bad presign
// parameters, wrong key or signature, unsigned host, malformed headers, unknown key.

#include <string>
#include <utility>

#include "flashstor/auth/sigv4.h"
#include "sigv4_test_util.h"

#include "cmocka_cpp.h"

using namespace flashstor;
using namespace flashstor::auth;
using namespace flashstor::auth::testing;

namespace {

// True when r is refused as malformed presign query parameters.
bool IsQueryFault(TestRequest& r) {
  FakeCredentials creds;
  SigV4Verifier v(creds, VerifyOptions{});
  AuthFailure failure;
  auto ctx = v.verify(r.request(), r.query(), kExampleTime, &failure);
  return !ctx && ctx.error().code() == Code::kAuthorizationHeaderMalformed && failure.in_query;
}

// Presign query faults: kAuthorizationHeaderMalformed with failure.in_query set (S3 answers
// AuthorizationQueryParametersError), with AWS's X-Amz-Expires messages.
void test_presigned_bad_parameters(void**) {
  constexpr auto kQueryError = static_cast<int>(Code::kAuthorizationHeaderMalformed);
  const std::pair<std::string_view, std::string_view> expires_cases[] = {
      {"0", "X-Amz-Expires must be at least 1 second"},
      {"604801", "X-Amz-Expires must be less than a week (in seconds) that is 604800"},
      {"99999999999999999999999",
       "X-Amz-Expires must be less than a week (in seconds) that is 604800"},
      {"-5", "X-Amz-Expires must be non-negative"},
      {"abc", "X-Amz-Expires should be a number"},
      {"", "X-Amz-Expires should be a number"},
      {"1e3", "X-Amz-Expires should be a number"},
  };
  FakeCredentials creds;
  SigV4Verifier v(creds, VerifyOptions{});
  for (const auto& [expires, message] : expires_cases) {
    TestRequest r = Presigned();
    r.set_query("X-Amz-Expires", expires);
    AuthFailure failure;
    auto ctx = v.verify(r.request(), r.query(), kExampleTime, &failure);
    assert_false(ctx.has_value());
    assert_int_equal(static_cast<int>(ctx.error().code()), kQueryError);
    assert_true(failure.in_query);
    assert_string_equal(std::string(ctx.error().message()).c_str(), std::string(message).c_str());
  }
  TestRequest week = Presigned();  // 604800 is allowed (the signature then no longer matches)
  week.set_query("X-Amz-Expires", "604800");
  assert_int_equal(static_cast<int>(VerifyCode(week)), static_cast<int>(Code::kSignatureMismatch));
  for (std::string_view missing : {"X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date",
                                   "X-Amz-Expires", "X-Amz-SignedHeaders", "X-Amz-Signature"}) {
    TestRequest r = Presigned();
    r.remove_query(missing);
    assert_true(IsQueryFault(r));
  }
  TestRequest alg = Presigned();
  alg.set_query("X-Amz-Algorithm", "AWS4-HMAC-SHA1");
  assert_true(IsQueryFault(alg));
  TestRequest date = Presigned();
  date.set_query("X-Amz-Date", "2013-05-24T00:00:00Z");
  assert_true(IsQueryFault(date));
  TestRequest cred = Presigned();
  cred.set_query("X-Amz-Credential", "AKIAIOSFODNN7EXAMPLE/20130524/eu-west-1/s3/aws4_request");
  assert_true(IsQueryFault(cred));
  TestRequest sha = Presigned();
  sha.add_query("X-Amz-Content-Sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD");
  assert_int_equal(static_cast<int>(VerifyCode(sha)), static_cast<int>(Code::kInvalidRequest));
  TestRequest both = Presigned();
  both.add_header("Authorization", kGetAuth);
  assert_int_equal(static_cast<int>(VerifyCode(both)), static_cast<int>(Code::kInvalidRequest));
  // A malformed Authorization header is not a query fault.
  TestRequest header = GetObject("AWS4-HMAC-SHA256 Credential=x");
  assert_false(IsQueryFault(header));
  assert_int_equal(static_cast<int>(VerifyCode(header)),
                   static_cast<int>(Code::kAuthorizationHeaderMalformed));
}

void test_clock_skew(void**) {
  TestRequest r = GetObject();
  assert_int_equal(static_cast<int>(VerifyCode(r, kExampleTime + 900)),
                   static_cast<int>(Code::kOk));
  assert_int_equal(static_cast<int>(VerifyCode(r, kExampleTime - 900)),
                   static_cast<int>(Code::kOk));
  assert_int_equal(static_cast<int>(VerifyCode(r, kExampleTime + 901)),
                   static_cast<int>(Code::kRequestTimeTooSkewed));
  assert_int_equal(static_cast<int>(VerifyCode(r, kExampleTime - 901)),
                   static_cast<int>(Code::kRequestTimeTooSkewed));
}

void test_wrong_secret_and_flipped_signature(void**) {
  FakeCredentials wrong("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEz");
  SigV4Verifier v(wrong, VerifyOptions{});
  TestRequest r = GetObject();
  auto ctx = v.verify(r.request(), r.query(), kExampleTime);
  assert_int_equal(static_cast<int>(ctx.error().code()),
                   static_cast<int>(Code::kSignatureMismatch));

  std::string flipped(kGetAuth);
  flipped[flipped.size() - 7] = flipped[flipped.size() - 7] == '0' ? '1' : '0';
  TestRequest f = GetObject(flipped);
  assert_int_equal(static_cast<int>(VerifyCode(f)), static_cast<int>(Code::kSignatureMismatch));
  // Upper-case hex, a short and an over-long signature never match.
  std::string upper(kGetAuth);
  for (size_t i = upper.find("Signature=") + 10; i < upper.size(); ++i) {
    if (upper[i] >= 'a' && upper[i] <= 'f') upper[i] = static_cast<char>(upper[i] - 32);
  }
  TestRequest u = GetObject(upper);
  assert_int_equal(static_cast<int>(VerifyCode(u)), static_cast<int>(Code::kSignatureMismatch));
  std::string shorter(kGetAuth.substr(0, kGetAuth.size() - 1));
  TestRequest s = GetObject(shorter);
  assert_int_equal(static_cast<int>(VerifyCode(s)), static_cast<int>(Code::kSignatureMismatch));
  std::string longer = std::string(kGetAuth) + "0";
  TestRequest l = GetObject(longer);
  assert_int_equal(static_cast<int>(VerifyCode(l)), static_cast<int>(Code::kSignatureMismatch));
  // A tampered signed header value breaks the signature.
  TestRequest t = GetObject();
  t.set_header("Range", "bytes=0-10");
  assert_int_equal(static_cast<int>(VerifyCode(t)), static_cast<int>(Code::kSignatureMismatch));
}

void test_host_must_be_signed(void**) {
  TestRequest r = GetObject(
      "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
      "SignedHeaders=range;x-amz-content-sha256;x-amz-date,"
      "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
  assert_int_equal(static_cast<int>(VerifyCode(r)), static_cast<int>(Code::kAccessDenied));
  TestRequest p = Presigned();
  p.set_query("X-Amz-SignedHeaders", "x-amz-date");
  assert_int_equal(static_cast<int>(VerifyCode(p)), static_cast<int>(Code::kAccessDenied));
}

void test_malformed_authorization(void**) {
  const std::string_view cases[] = {
      "",
      "AWS4-HMAC-SHA256",
      "AWS4-HMAC-SHA256x Credential=a/20130524/us-east-1/s3/aws4_request",
      "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request",
      "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
      "SignedHeaders=host, Signature=",
      "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
      "SignedHeaders=host, Signature=ab, Signature=cd",
      "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
      "SignedHeaders=host, Signature=ab, Extra=1",
      "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3, "
      "SignedHeaders=host, Signature=ab",
      "AWS4-HMAC-SHA256 Credential=/20130524/us-east-1/s3/aws4_request, "
      "SignedHeaders=host, Signature=ab",
      "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/2013052/us-east-1/s3/aws4_request, "
      "SignedHeaders=host, Signature=ab",
      "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/ec2/aws4_request, "
      "SignedHeaders=host, Signature=ab",
      "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws5_request, "
      "SignedHeaders=host, Signature=ab",
      "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/eu-west-1/s3/aws4_request, "
      "SignedHeaders=host, Signature=ab",
      "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
      "SignedHeaders=host;;range, Signature=ab",
      "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
      "SignedHeaders=Host;range, Signature=ab",
      "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
      "SignedHeaders=host;host, Signature=ab",
      "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request "
      "SignedHeaders=host Signature=ab",
      // Scope date differs from x-amz-date.
      "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130525/us-east-1/s3/aws4_request, "
      "SignedHeaders=host, Signature=ab",
  };
  for (std::string_view c : cases) {
    TestRequest r = GetObject(c);
    assert_int_equal(static_cast<int>(VerifyCode(r)),
                     static_cast<int>(Code::kAuthorizationHeaderMalformed));
  }
  // SigV2 turned off: refused as an unsupported mechanism (sigv2_test.cc covers it on).
  TestRequest v2 = GetObject("AWS AKIAIOSFODNN7EXAMPLE:frJIUN8DYpKDtOLCwo//yllqDzg=");
  VerifyOptions no_v2;
  no_v2.allow_sigv2 = false;
  assert_int_equal(static_cast<int>(VerifyCode(v2, kExampleTime, no_v2)),
                   static_cast<int>(Code::kInvalidRequest));
  // An empty configured region accepts any region (then the signature decides).
  TestRequest eu = GetObject(
      "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/eu-west-1/s3/aws4_request, "
      "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, Signature=ab");
  VerifyOptions any;
  any.region.clear();
  assert_int_equal(static_cast<int>(VerifyCode(eu, kExampleTime, any)),
                   static_cast<int>(Code::kSignatureMismatch));
}

void test_unknown_access_key(void**) {
  TestRequest r = GetObject(
      "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLX/20130524/us-east-1/s3/aws4_request,"
      "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,"
      "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
  assert_int_equal(static_cast<int>(VerifyCode(r)), static_cast<int>(Code::kInvalidAccessKeyId));
}

void test_content_sha256_values(void**) {
  for (std::string_view bad :
       {"abc", "UNSIGNED", "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD",
        "zz3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", ""}) {
    TestRequest r = GetObject();
    r.set_header("x-amz-content-sha256", bad);
    assert_int_equal(static_cast<int>(VerifyCode(r)), static_cast<int>(Code::kInvalidRequest));
  }
}

void test_missing_date(void**) {
  TestRequest r("GET", "/test.txt",
                {{"Host", "examplebucket.s3.amazonaws.com"},
                 {"Authorization", kGetAuth},
                 {"Range", "bytes=0-9"},
                 {"x-amz-content-sha256", kEmptySha}});
  assert_int_equal(static_cast<int>(VerifyCode(r)), static_cast<int>(Code::kAccessDenied));
  TestRequest bad = GetObject();
  bad.set_header("x-amz-date", "20130524T000000");
  assert_int_equal(static_cast<int>(VerifyCode(bad)), static_cast<int>(Code::kAccessDenied));
  bad.set_header("x-amz-date", "20130230T000000Z");  // no 30 February
  assert_int_equal(static_cast<int>(VerifyCode(bad)), static_cast<int>(Code::kAccessDenied));
}

void test_signed_header_missing_from_request(void**) {
  TestRequest r("GET", "/test.txt",
                {{"Host", "examplebucket.s3.amazonaws.com"},
                 {"Authorization", kGetAuth},
                 {"x-amz-content-sha256", kEmptySha},
                 {"x-amz-date", "20130524T000000Z"}});
  assert_int_equal(static_cast<int>(VerifyCode(r)), static_cast<int>(Code::kSignatureMismatch));
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_presigned_bad_parameters),
      cmocka_unit_test(test_clock_skew),
      cmocka_unit_test(test_wrong_secret_and_flipped_signature),
      cmocka_unit_test(test_host_must_be_signed),
      cmocka_unit_test(test_malformed_authorization),
      cmocka_unit_test(test_unknown_access_key),
      cmocka_unit_test(test_content_sha256_values),
      cmocka_unit_test(test_missing_date),
      cmocka_unit_test(test_signed_header_missing_from_request),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
