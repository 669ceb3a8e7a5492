// Unit tests of SigV4Verifier::verify accepting requests: AWS's published S3 examples (header,
// presigned, streaming seeds) and independently computed vectors for the canonical rules.

#include <string>

#include "flashstor/auth/sigv4.h"
#include "sigv4_test_util.h"

#include "cmocka_cpp.h"

using namespace flashstor;
using namespace flashstor::auth;
using namespace flashstor::auth::testing;

namespace {

void test_get_object_example(void**) {
  FakeCredentials creds;
  SigV4Verifier v(creds, VerifyOptions{});
  TestRequest r = GetObject();
  auto ctx = v.verify(r.request(), r.query(), kExampleTime);
  assert_true(ctx.has_value());
  assert_false(ctx->anonymous);
  assert_string_equal(ctx->access_key.c_str(), "AKIAIOSFODNN7EXAMPLE");
  assert_true(ctx->is_root);
  assert_int_equal(static_cast<int>(ctx->payload), static_cast<int>(PayloadKind::kSha256));
  assert_string_equal(ctx->payload_sha256_hex.c_str(), std::string(kEmptySha).c_str());
  assert_string_equal(ctx->amz_date.c_str(), "20130524T000000Z");
  assert_string_equal(ctx->scope.c_str(), "20130524/us-east-1/s3/aws4_request");
  assert_string_equal(ctx->seed_signature.c_str(),
                      "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
  auto key = DeriveSigningKey(kSecretKey, "20130524", "us-east-1", "s3");
  assert_memory_equal(ctx->signing_key.data(), key.data(), key.size());
  // A second call hits the signing-key cache and still verifies.
  assert_true(v.verify(r.request(), r.query(), kExampleTime).has_value());
}

void test_put_object_example(void**) {
  // AWS example "PUT Object": key "test$file.text", Date and x-amz-date both present. The
  // canonical URI encodes '$' whether or not the client did.
  for (std::string_view path : {"/test%24file.text", "/test$file.text"}) {
    TestRequest r("PUT", path,
                  {{"Host", "examplebucket.s3.amazonaws.com"},
                   {"Date", "Fri, 24 May 2013 00:00:00 GMT"},
                   {"Authorization",
                    "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/"
                    "aws4_request,SignedHeaders=date;host;x-amz-content-sha256;x-amz-date;x-amz-"
                    "storage-class,Signature="
                    "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd"},
                   {"x-amz-date", "20130524T000000Z"},
                   {"x-amz-storage-class", "REDUCED_REDUNDANCY"},
                   {"x-amz-content-sha256",
                    "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072"}});
    FakeCredentials creds;
    SigV4Verifier v(creds, VerifyOptions{});
    auto ctx = v.verify(r.request(), r.query(), kExampleTime);
    assert_true(ctx.has_value());
    assert_int_equal(static_cast<int>(ctx->payload), static_cast<int>(PayloadKind::kSha256));
    assert_string_equal(ctx->payload_sha256_hex.c_str(),
                        "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
  }
}

void test_get_lifecycle_example(void**) {
  TestRequest r("GET", "/",
                {{"Host", "examplebucket.s3.amazonaws.com"},
                 {"Authorization",
                  "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/"
                  "aws4_request,SignedHeaders=host;x-amz-content-sha256;x-amz-date,Signature="
                  "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543"},
                 {"x-amz-content-sha256", kEmptySha},
                 {"x-amz-date", "20130524T000000Z"}},
                {{"lifecycle", ""}});
  assert_int_equal(static_cast<int>(VerifyCode(r)), static_cast<int>(Code::kOk));
}

void test_list_objects_example(void**) {
  // Parameters arrive unsorted; the canonical query sorts them.
  TestRequest r("GET", "/",
                {{"Host", "examplebucket.s3.amazonaws.com"},
                 {"Authorization",
                  "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/"
                  "aws4_request,SignedHeaders=host;x-amz-content-sha256;x-amz-date,Signature="
                  "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"},
                 {"x-amz-content-sha256", kEmptySha},
                 {"x-amz-date", "20130524T000000Z"}},
                {{"prefix", "J"}, {"max-keys", "2"}});
  assert_int_equal(static_cast<int>(VerifyCode(r)), static_cast<int>(Code::kOk));
  r.set_query("prefix", "K");
  assert_int_equal(static_cast<int>(VerifyCode(r)), static_cast<int>(Code::kSignatureMismatch));
}

void test_presigned_example(void**) {
  FakeCredentials creds;
  SigV4Verifier v(creds, VerifyOptions{});
  TestRequest r = Presigned();
  auto ctx = v.verify(r.request(), r.query(), kExampleTime + 3600);
  assert_true(ctx.has_value());
  assert_false(ctx->anonymous);
  assert_int_equal(static_cast<int>(ctx->payload), static_cast<int>(PayloadKind::kUnsigned));
  // Last valid second, then expired.
  assert_true(v.verify(r.request(), r.query(), kExampleTime + 86400).has_value());
  auto expired = v.verify(r.request(), r.query(), kExampleTime + 86401);
  assert_false(expired.has_value());
  assert_int_equal(static_cast<int>(expired.error().code()), static_cast<int>(Code::kAccessDenied));
  assert_true(expired.error().message() == "Request has expired");
  // Dated in the future beyond the allowed skew: not valid yet.
  auto early = v.verify(r.request(), r.query(), kExampleTime - 901);
  assert_int_equal(static_cast<int>(early.error().code()), static_cast<int>(Code::kAccessDenied));
  assert_true(v.verify(r.request(), r.query(), kExampleTime - 900).has_value());
}

void test_presigned_security_token(void**) {
  // Independently computed: the presign example plus X-Amz-Security-Token=tok+en.
  TestRequest r = Presigned();
  r.add_query("X-Amz-Security-Token", "tok+en");
  r.set_query("X-Amz-Signature",
              "d08d5ed1c438cf32469a6458eaed660299dc2b6300c2d77d52eddfc99bc0b21d");
  FakeCredentials sts(std::string(kSecretKey), "tok+en");
  SigV4Verifier v(sts, VerifyOptions{});
  assert_true(v.verify(r.request(), r.query(), kExampleTime).has_value());
  FakeCredentials other(std::string(kSecretKey), "tok+eN");
  SigV4Verifier v2(other, VerifyOptions{});
  auto bad = v2.verify(r.request(), r.query(), kExampleTime);
  assert_int_equal(static_cast<int>(bad.error().code()), static_cast<int>(Code::kInvalidToken));
  // Long-term credentials reject a token, STS credentials require one.
  FakeCredentials plain;
  SigV4Verifier v3(plain, VerifyOptions{});
  auto extra = v3.verify(r.request(), r.query(), kExampleTime);
  assert_int_equal(static_cast<int>(extra.error().code()), static_cast<int>(Code::kInvalidToken));
  TestRequest none = Presigned();
  auto missing = v.verify(none.request(), none.query(), kExampleTime);
  assert_int_equal(static_cast<int>(missing.error().code()), static_cast<int>(Code::kInvalidToken));
}

void test_streaming_seed_example(void**) {
  TestRequest r("PUT", "/examplebucket/chunkObject.txt",
                {{"Host", "s3.amazonaws.com"},
                 {"x-amz-date", "20130524T000000Z"},
                 {"x-amz-storage-class", "REDUCED_REDUNDANCY"},
                 {"Authorization",
                  "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/"
                  "aws4_request,SignedHeaders=content-encoding;content-length;host;x-amz-"
                  "content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class,"
                  "Signature=4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"},
                 {"x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"},
                 {"Content-Encoding", "aws-chunked"},
                 {"x-amz-decoded-content-length", "66560"},
                 {"Content-Length", "66824"}});
  FakeCredentials creds;
  SigV4Verifier v(creds, VerifyOptions{});
  auto ctx = v.verify(r.request(), r.query(), kExampleTime);
  assert_true(ctx.has_value());
  assert_int_equal(static_cast<int>(ctx->payload), static_cast<int>(PayloadKind::kStreamingSigned));
  assert_string_equal(ctx->seed_signature.c_str(),
                      "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9");
  assert_non_null(SigV4Verifier::MakeChunkVerifier(*ctx).get());
}

void test_streaming_trailer_seed_example(void**) {
  TestRequest r("PUT", "/examplebucket/chunkObject.txt",
                {{"Host", "s3.amazonaws.com"},
                 {"x-amz-date", "20130524T000000Z"},
                 {"x-amz-storage-class", "REDUCED_REDUNDANCY"},
                 {"Authorization",
                  "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/"
                  "aws4_request,SignedHeaders=content-encoding;host;x-amz-content-sha256;x-amz-"
                  "date;x-amz-decoded-content-length;x-amz-storage-class;x-amz-trailer,"
                  "Signature=106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e"},
                 {"x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"},
                 {"Content-Encoding", "aws-chunked"},
                 {"x-amz-decoded-content-length", "66560"},
                 {"x-amz-trailer", "x-amz-checksum-crc32c"},
                 {"Content-Length", "66946"}});
  FakeCredentials creds;
  SigV4Verifier v(creds, VerifyOptions{});
  auto ctx = v.verify(r.request(), r.query(), kExampleTime);
  assert_true(ctx.has_value());
  assert_int_equal(static_cast<int>(ctx->payload),
                   static_cast<int>(PayloadKind::kStreamingSignedTrailer));
}

void test_tolerant_header_layout(void**) {
  // Components in another order, spaces and tabs around separators, trailing comma.
  TestRequest r = GetObject(
      "AWS4-HMAC-SHA256   Signature = "
      "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41 ,\tCredential="
      "AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders="
      "host;range;x-amz-content-sha256;x-amz-date,");
  assert_int_equal(static_cast<int>(VerifyCode(r)), static_cast<int>(Code::kOk));
  // Header names in the request in any case.
  TestRequest c("GET", "/test.txt",
                {{"HOST", "examplebucket.s3.amazonaws.com"},
                 {"authorization", kGetAuth},
                 {"RANGE", "bytes=0-9"},
                 {"X-Amz-Content-Sha256", kEmptySha},
                 {"X-AMZ-DATE", "20130524T000000Z"}});
  assert_int_equal(static_cast<int>(VerifyCode(c)), static_cast<int>(Code::kOk));
}

void test_date_header_only(void**) {
  // Independently computed: signed with the Date header, no x-amz-date.
  TestRequest r("GET", "/test.txt",
                {{"Host", "examplebucket.s3.amazonaws.com"},
                 {"Date", "Fri, 24 May 2013 00:00:00 GMT"},
                 {"x-amz-content-sha256", kEmptySha},
                 {"Authorization",
                  "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/"
                  "aws4_request,SignedHeaders=date;host;x-amz-content-sha256,Signature="
                  "f51e643fca75b7c8fd918b44dd7f5de20a60f46a456fd2170e1e8248a77144e1"}});
  FakeCredentials creds;
  SigV4Verifier v(creds, VerifyOptions{});
  auto ctx = v.verify(r.request(), r.query(), kExampleTime);
  assert_true(ctx.has_value());
  assert_string_equal(ctx->amz_date.c_str(), "20130524T000000Z");
}

void test_missing_content_sha256_is_empty_payload(void**) {
  TestRequest r("GET", "/test.txt",
                {{"Host", "examplebucket.s3.amazonaws.com"},
                 {"x-amz-date", "20130524T000000Z"},
                 {"Authorization",
                  "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/"
                  "aws4_request,SignedHeaders=host;x-amz-date,Signature="
                  "c56d82b267bdb6e445b1471d255de6c82ea88b19c83e16370232146fdcd628ec"}});
  FakeCredentials creds;
  SigV4Verifier v(creds, VerifyOptions{});
  auto ctx = v.verify(r.request(), r.query(), kExampleTime);
  assert_true(ctx.has_value());
  assert_int_equal(static_cast<int>(ctx->payload), static_cast<int>(PayloadKind::kSha256));
  assert_string_equal(ctx->payload_sha256_hex.c_str(), std::string(kEmptySha).c_str());
}

void test_unicode_key_query_and_header_canonicalisation(void**) {
  // Independently computed: raw '+' and %2F inside a key, a space, UTF-8, a query needing
  // encoding, repeated headers and whitespace runs in a signed header value.
  TestRequest r("GET", "/examplebucket/a%20b/%C3%BC+c%2Fd.txt",
                {{"Host", "s3.amazonaws.com"},
                 {"x-amz-date", "20130524T000000Z"},
                 {"x-amz-content-sha256", "UNSIGNED-PAYLOAD"},
                 {"X-Amz-Meta-Multi", "a"},
                 {"x-amz-meta-note", "hello    big \t world"},
                 {"x-amz-meta-multi", "b   c"},
                 {"Authorization",
                  "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/"
                  "aws4_request,SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-meta-"
                  "multi;x-amz-meta-note,Signature="
                  "e5b8789a3e8cb218e8137324056613630df78ca0f1af08cad95908a8c2097319"}},
                {{"prefix", "a/b"},
                 {"list-type", "2"},
                 {"delimiter", "/"},
                 {"marker", "x y~z"},
                 {"encoding-type", "url"}});
  FakeCredentials creds;
  SigV4Verifier v(creds, VerifyOptions{});
  auto ctx = v.verify(r.request(), r.query(), kExampleTime);
  assert_true(ctx.has_value());
  assert_int_equal(static_cast<int>(ctx->payload), static_cast<int>(PayloadKind::kUnsigned));
}

void test_anonymous(void**) {
  FakeCredentials creds;
  SigV4Verifier v(creds, VerifyOptions{});
  TestRequest r("GET", "/bucket/key", {{"Host", "s3.example"}}, {{"versionId", "3"}});
  auto ctx = v.verify(r.request(), r.query(), kExampleTime);
  assert_true(ctx.has_value());
  assert_true(ctx->anonymous);
  assert_true(ctx->access_key.empty());
  assert_int_equal(creds.lookups, 0);
  assert_null(SigV4Verifier::MakeChunkVerifier(*ctx).get());
  TestRequest v2("GET", "/bucket/key", {{"Host", "s3.example"}},
                 {{"AWSAccessKeyId", "AKIAIOSFODNN7EXAMPLE"}, {"Signature", "x"}});
  VerifyOptions no_v2;
  no_v2.allow_sigv2 = false;
  assert_int_equal(static_cast<int>(VerifyCode(v2, kExampleTime, no_v2)),
                   static_cast<int>(Code::kInvalidRequest));
}

void test_helpers(void**) {
  assert_string_equal(HexSha256(std::span<const char>()).c_str(), std::string(kEmptySha).c_str());
  std::string_view body = "Welcome to Amazon S3.";
  assert_string_equal(HexSha256(body).c_str(),
                      "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
  // AWS general reference example signing key.
  auto key =
      DeriveSigningKey("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20120215", "us-east-1", "iam");
  const unsigned char expected[32] = {0xf4, 0x78, 0x0e, 0x2d, 0x9f, 0x65, 0xfa, 0x89,
                                      0x5f, 0x9c, 0x67, 0xb3, 0x2c, 0xe1, 0xba, 0xf0,
                                      0xb0, 0xd8, 0xa4, 0x35, 0x05, 0xa0, 0x00, 0xa1,
                                      0xa9, 0xe0, 0x90, 0xd4, 0x14, 0xdb, 0x40, 0x4d};
  assert_memory_equal(key.data(), expected, 32);
  // A secret longer than the stack buffer takes the heap path and still derives consistently.
  std::string long_secret(300, 'k');
  auto k1 = DeriveSigningKey(long_secret, "20130524", "us-east-1", "s3");
  auto k2 = DeriveSigningKey(long_secret, "20130524", "us-east-1", "s3");
  assert_memory_equal(k1.data(), k2.data(), 32);
  auto k3 = DeriveSigningKey(long_secret.substr(1), "20130524", "us-east-1", "s3");
  assert_memory_not_equal(k1.data(), k3.data(), 32);
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_get_object_example),
      cmocka_unit_test(test_put_object_example),
      cmocka_unit_test(test_get_lifecycle_example),
      cmocka_unit_test(test_list_objects_example),
      cmocka_unit_test(test_presigned_example),
      cmocka_unit_test(test_presigned_security_token),
      cmocka_unit_test(test_streaming_seed_example),
      cmocka_unit_test(test_streaming_trailer_seed_example),
      cmocka_unit_test(test_tolerant_header_layout),
      cmocka_unit_test(test_date_header_only),
      cmocka_unit_test(test_missing_content_sha256_is_empty_payload),
      cmocka_unit_test(test_unicode_key_query_and_header_canonicalisation),
      cmocka_unit_test(test_anonymous),
      cmocka_unit_test(test_helpers),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
