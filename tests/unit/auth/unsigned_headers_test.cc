// Unit tests of the rule that a SigV4 signature covers host and every x-amz-* header:
// header-signed and presigned requests that carry an unsigned x-amz-* header are refused with
// the names AWS puts in <HeadersNotSigned>; x-amzn-* and presigned x-amz-content-sha256 are not.

#include <string>

#include "flashstor/auth/sigv4.h"
#include "sigv4_test_util.h"
#include "unsigned_headers.h"

#include "cmocka_cpp.h"

using namespace flashstor;
using namespace flashstor::auth;
using namespace flashstor::auth::testing;

namespace {

// Verifies r; returns the code and fills not_signed from the failure detail.
Code Verify(TestRequest& r, std::string& not_signed) {
  FakeCredentials creds;
  SigV4Verifier v(creds, VerifyOptions{});
  AuthFailure failure;
  auto ctx = v.verify(r.request(), r.query(), kExampleTime, &failure);
  not_signed = failure.headers_not_signed;
  return ctx ? Code::kOk : ctx.error().code();
}

void test_header_auth_unsigned_copy_source_refused(void**) {
  std::string names;
  TestRequest ok = GetObject();
  assert_int_equal(static_cast<int>(Verify(ok, names)), static_cast<int>(Code::kOk));
  // The reproduction: a validly signed request plus a header the signer never saw.
  TestRequest r = GetObject();
  r.add_header("x-amz-copy-source", "/bkt/secret-doc");
  assert_int_equal(static_cast<int>(Verify(r, names)), static_cast<int>(Code::kAccessDenied));
  assert_string_equal(names.c_str(), "x-amz-copy-source");
  FakeCredentials creds;
  SigV4Verifier v(creds, VerifyOptions{});
  auto ctx = v.verify(r.request(), r.query(), kExampleTime);  // no detail wanted: still refused
  assert_false(ctx.has_value());
  assert_string_equal(std::string(ctx.error().message()).c_str(),
                      "There were headers present in the request which were not signed");
}

void test_names_are_case_insensitive_lowercase_and_once(void**) {
  std::string names;
  TestRequest r = GetObject();
  r.add_header("X-Amz-Meta-Owner", "mallory");
  r.add_header("X-AMZ-ACL", "public-read");
  r.add_header("x-amz-meta-owner", "again");  // repeated: one name
  assert_int_equal(static_cast<int>(Verify(r, names)), static_cast<int>(Code::kAccessDenied));
  assert_string_equal(names.c_str(), "x-amz-meta-owner, x-amz-acl");
  // A signed header sent in another case is still signed (the example signs x-amz-date).
  TestRequest upper("GET", "/test.txt",
                    {{"Host", "examplebucket.s3.amazonaws.com"},
                     {"Authorization", kGetAuth},
                     {"Range", "bytes=0-9"},
                     {"X-Amz-Content-Sha256", kEmptySha},
                     {"X-AMZ-DATE", "20130524T000000Z"}});
  assert_int_equal(static_cast<int>(Verify(upper, names)), static_cast<int>(Code::kOk));
  // A signed header repeated: both values are in the canonical request, so the signature
  // (made over one value) no longer matches; never "signed" by the first occurrence alone.
  TestRequest twice = GetObject();
  twice.add_header("x-amz-date", "20130524T000000Z");
  assert_int_equal(static_cast<int>(Verify(twice, names)),
                   static_cast<int>(Code::kSignatureMismatch));
}

void test_non_amz_headers_need_no_signature(void**) {
  std::string names;
  TestRequest r = GetObject();
  r.add_header("x-amzn-trace-id", "Root=1-abc");
  r.add_header("User-Agent", "test");
  r.add_header("Content-Type", "text/plain");
  assert_int_equal(static_cast<int>(Verify(r, names)), static_cast<int>(Code::kOk));
  assert_true(names.empty());
}

void test_host_and_amz_headers_listed_together(void**) {
  std::string names;
  TestRequest r = GetObject(
      "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
      "SignedHeaders=range;x-amz-date,"
      "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
  assert_int_equal(static_cast<int>(Verify(r, names)), static_cast<int>(Code::kAccessDenied));
  assert_string_equal(names.c_str(), "host, x-amz-content-sha256");
}

void test_presigned_unsigned_headers(void**) {
  std::string names;
  TestRequest ok = Presigned();
  assert_int_equal(static_cast<int>(Verify(ok, names)), static_cast<int>(Code::kOk));
  TestRequest meta = Presigned();
  meta.add_header("x-amz-meta-a", "1");
  meta.add_header("x-amz-security-token", "t");
  assert_int_equal(static_cast<int>(Verify(meta, names)), static_cast<int>(Code::kAccessDenied));
  assert_string_equal(names.c_str(), "x-amz-meta-a, x-amz-security-token");
  // AWS lets a presigned request carry x-amz-content-sha256 unsigned; its value is the payload
  // hash, so UNSIGNED-PAYLOAD verifies and a digest the signer did not use does not.
  TestRequest unsigned_payload = Presigned();
  unsigned_payload.add_header("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD");
  assert_int_equal(static_cast<int>(Verify(unsigned_payload, names)), static_cast<int>(Code::kOk));
  TestRequest digest = Presigned();
  digest.add_header("x-amz-content-sha256", kEmptySha);
  assert_int_equal(static_cast<int>(Verify(digest, names)),
                   static_cast<int>(Code::kSignatureMismatch));
  TestRequest no_host = Presigned();
  no_host.set_query("X-Amz-SignedHeaders", "x-amz-date");
  assert_int_equal(static_cast<int>(Verify(no_host, names)), static_cast<int>(Code::kAccessDenied));
  assert_string_equal(names.c_str(), "host");
}

void test_check_headers_signed_directly(void**) {
  TestRequest r("PUT", "/k",
                {{"Host", "h"},
                 {"x-amz-decoded-content-length", "5"},
                 {"X-Amz-Trailer", "x-amz-checksum-crc32"},
                 {"x-amz-date", "d"}});
  std::string names;
  Status s = CheckHeadersSigned(r.request(), "host;x-amz-date", false, &names);
  assert_int_equal(static_cast<int>(s.code()), static_cast<int>(Code::kAccessDenied));
  assert_string_equal(names.c_str(), "x-amz-decoded-content-length, x-amz-trailer");
  assert_true(CheckHeadersSigned(r.request(),
                                 "host;x-amz-date;x-amz-decoded-content-length;x-amz-trailer",
                                 false, &names)
                  .ok());
  // A name that only starts like a signed one is not covered by it.
  assert_false(
      CheckHeadersSigned(r.request(), "host;x-amz-date;x-amz-decoded;x-amz-trailer", false, nullptr)
          .ok());
  TestRequest sha("PUT", "/k", {{"Host", "h"}, {"x-amz-content-sha256", "UNSIGNED-PAYLOAD"}});
  assert_false(CheckHeadersSigned(sha.request(), "host", false, nullptr).ok());
  assert_true(CheckHeadersSigned(sha.request(), "host", true, nullptr).ok());
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_header_auth_unsigned_copy_source_refused),
      cmocka_unit_test(test_names_are_case_insensitive_lowercase_and_once),
      cmocka_unit_test(test_non_amz_headers_need_no_signature),
      cmocka_unit_test(test_host_and_amz_headers_listed_together),
      cmocka_unit_test(test_presigned_unsigned_headers),
      cmocka_unit_test(test_check_headers_signed_directly),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
