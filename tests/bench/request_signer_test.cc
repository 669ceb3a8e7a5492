// Unit tests of auth::RequestSigner: AWS's published S3 SigV4 examples, a round trip through
// the server's own SigV4Verifier, and rejected inputs.
#include "flashstor/auth/request_signer.h"

#include <optional>
#include <vector>

#include "flashstor/auth/sigv4.h"
#include "flashstor/http/uri.h"
#include "flashstor/mem/arena.h"

#include "bench_test.h"

using namespace flashstor;
using namespace flashstor::auth;

namespace {

constexpr std::string_view kAccessKey = "AKIAIOSFODNN7EXAMPLE";
constexpr std::string_view kSecretKey = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
constexpr std::string_view kEmptySha =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
constexpr std::time_t kExampleTime = 1369353600;  // 20130524T000000Z
constexpr std::string_view kHost = "examplebucket.s3.amazonaws.com";

std::string ExpectedAuth(std::string_view signed_headers, std::string_view signature) {
  return "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
         "SignedHeaders=" +
         std::string(signed_headers) + ",Signature=" + std::string(signature);
}

void test_aws_get_object_example(void**) {
  RequestSigner signer{std::string(kAccessKey), std::string(kSecretKey)};
  const HeaderPair headers[] = {{"Range", "bytes=0-9"}};
  auto r = signer.sign({"GET", "/test.txt", {}, kHost, kEmptySha, headers}, kExampleTime);
  assert_true(r.has_value());
  assert_string_equal(r->target.c_str(), "/test.txt");
  assert_string_equal(r->amz_date.c_str(), "20130524T000000Z");
  assert_string_equal(
      r->authorization.c_str(),
      ExpectedAuth("host;range;x-amz-content-sha256;x-amz-date",
                   "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")
          .c_str());
  // Signing again (cached key) gives the same answer.
  auto again = signer.sign({"GET", "/test.txt", {}, kHost, kEmptySha, headers}, kExampleTime);
  assert_string_equal(again->authorization.c_str(), r->authorization.c_str());
}

void test_aws_put_object_example(void**) {
  RequestSigner signer{std::string(kAccessKey), std::string(kSecretKey)};
  const HeaderPair headers[] = {{"x-amz-storage-class", "REDUCED_REDUNDANCY"},
                                {"Date", "Fri, 24 May 2013 00:00:00 GMT"}};
  auto r = signer.sign({"PUT",
                        "/test$file.text",
                        {},
                        kHost,
                        "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072",
                        headers},
                       kExampleTime);
  assert_true(r.has_value());
  assert_string_equal(r->target.c_str(), "/test%24file.text");
  assert_string_equal(
      r->authorization.c_str(),
      ExpectedAuth("date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class",
                   "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd")
          .c_str());
}

void test_aws_query_examples(void**) {
  RequestSigner signer{std::string(kAccessKey), std::string(kSecretKey)};
  const HeaderPair lifecycle[] = {{"lifecycle", ""}};
  auto r = signer.sign({"GET", "/", lifecycle, kHost, kEmptySha, {}}, kExampleTime);
  assert_true(r.has_value());
  assert_string_equal(r->target.c_str(), "/?lifecycle=");
  assert_string_equal(
      r->authorization.c_str(),
      ExpectedAuth("host;x-amz-content-sha256;x-amz-date",
                   "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543")
          .c_str());
  // List objects: parameters given out of order are sorted.
  const HeaderPair list[] = {{"prefix", "J"}, {"max-keys", "2"}};
  r = signer.sign({"GET", "/", list, kHost, kEmptySha, {}}, kExampleTime);
  assert_true(r.has_value());
  assert_string_equal(r->target.c_str(), "/?max-keys=2&prefix=J");
  assert_string_equal(
      r->authorization.c_str(),
      ExpectedAuth("host;x-amz-content-sha256;x-amz-date",
                   "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7")
          .c_str());
}

class OneCredential final : public CredentialProvider {
 public:
  std::optional<Credential> lookup(std::string_view access_key) const override {
    if (access_key != kAccessKey) return std::nullopt;
    return Credential{std::string(kAccessKey), std::string(kSecretKey), {}, true};
  }
};

// Builds the http::Request the server would parse from a signed request and verifies it.
Result<AuthContext> VerifySigned(const SignedRequest& s, std::string_view method,
                                 std::string_view payload_hash, std::time_t now,
                                 std::string_view tamper_target = {}) {
  const std::string_view target = tamper_target.empty() ? s.target : tamper_target;
  http::Request req;
  req.method_name = method;
  req.method = method == "PUT" ? http::Method::kPut : http::Method::kPost;
  req.target = target;
  const size_t q = target.find('?');
  req.path = target.substr(0, q);
  req.query = q == std::string_view::npos ? std::string_view() : target.substr(q + 1);
  req.host = "127.0.0.1:9000";
  const std::vector<http::Header> headers = {{"Host", req.host},
                                             {"x-amz-date", s.amz_date},
                                             {"x-amz-content-sha256", payload_hash},
                                             {"Authorization", s.authorization}};
  req.headers = headers;
  mem::Arena arena;
  auto query = http::ParseQuery(req.query, arena);
  if (!query) return std::unexpected(query.error());
  OneCredential creds;
  SigV4Verifier verifier(creds, VerifyOptions{});
  return verifier.verify(req, *query, now);
}

void test_round_trip_through_verifier(void**) {
  const std::time_t now = 1700000000;
  RequestSigner signer{std::string(kAccessKey), std::string(kSecretKey)};
  // A key that needs encoding: spaces, '+', '%', unicode, a nested '/'.
  auto put = signer.sign(
      {"PUT", "/bucket/dir/a b+c%d\xc3\xa9.txt", {}, "127.0.0.1:9000", "UNSIGNED-PAYLOAD", {}},
      now);
  assert_true(put.has_value());
  assert_string_equal(put->target.c_str(), "/bucket/dir/a%20b%2Bc%25d%C3%A9.txt");
  auto ctx = VerifySigned(*put, "PUT", "UNSIGNED-PAYLOAD", now);
  assert_true(ctx.has_value());
  assert_false(ctx->anonymous);
  assert_true(ctx->is_root);
  assert_int_equal(static_cast<int>(ctx->payload), static_cast<int>(PayloadKind::kUnsigned));

  const HeaderPair query[] = {{"key", "obj 1/x"}, {"bucket", "b"}};
  auto heal =
      signer.sign({"POST", "/flashstor/admin/heal", query, "127.0.0.1:9000", kEmptySha, {}}, now);
  assert_true(heal.has_value());
  assert_string_equal(heal->target.c_str(), "/flashstor/admin/heal?bucket=b&key=obj%201%2Fx");
  assert_true(VerifySigned(*heal, "POST", kEmptySha, now).has_value());

  // Tampering with the key or the payload hash breaks the signature.
  auto bad =
      VerifySigned(*heal, "POST", kEmptySha, now, "/flashstor/admin/heal?bucket=b&key=obj%202%2Fx");
  assert_false(bad.has_value());
  assert_int_equal(static_cast<int>(bad.error().code()),
                   static_cast<int>(Code::kSignatureMismatch));
  assert_false(VerifySigned(*put, "PUT", kEmptySha, now).has_value());
  // A wrong secret does not verify either.
  RequestSigner wrong{std::string(kAccessKey), "not-the-secret"};
  auto w = wrong.sign({"PUT", "/bucket/k", {}, "127.0.0.1:9000", "UNSIGNED-PAYLOAD", {}}, now);
  assert_false(VerifySigned(*w, "PUT", "UNSIGNED-PAYLOAD", now).has_value());
}

void test_key_changes_with_the_day(void**) {
  RequestSigner signer{std::string(kAccessKey), std::string(kSecretKey)};
  const SignInput in{"PUT", "/b/k", {}, "127.0.0.1:9000", "UNSIGNED-PAYLOAD", {}};
  const std::time_t day1 = 1700000000;
  const std::time_t day2 = day1 + 86400;
  auto first = signer.sign(in, day1);
  auto second = signer.sign(in, day2);
  assert_true(first.has_value() && second.has_value());
  assert_true(second->authorization.find("/20231115/") != std::string::npos);
  // The second day's request verifies: its key was derived for that day, not reused.
  assert_true(VerifySigned(*second, "PUT", "UNSIGNED-PAYLOAD", day2).has_value());
  auto again = signer.sign(in, day1);
  assert_string_equal(again->authorization.c_str(), first->authorization.c_str());
  assert_true(VerifySigned(*again, "PUT", "UNSIGNED-PAYLOAD", day1).has_value());
}

void test_rejects_bad_input(void**) {
  RequestSigner signer{std::string(kAccessKey), std::string(kSecretKey)};
  const HeaderPair crlf[] = {{"x-a", "v\r\nx-b: injected"}};
  const HeaderPair reserved[] = {{"Authorization", "x"}};
  const HeaderPair host[] = {{"HOST", "other"}};
  const HeaderPair dup[] = {{"x-a", "1"}, {"X-A", "2"}};
  const HeaderPair bad_name[] = {{"x a", "1"}};
  const std::vector<HeaderPair> many(RequestSigner::kMaxHeaders + 1, HeaderPair{"x-a", "1"});
  const SignInput cases[] = {
      {"", "/b/k", {}, "h", "UNSIGNED-PAYLOAD", {}},
      {"G ET", "/b/k", {}, "h", "UNSIGNED-PAYLOAD", {}},
      {"GET", "b/k", {}, "h", "UNSIGNED-PAYLOAD", {}},
      {"GET", "", {}, "h", "UNSIGNED-PAYLOAD", {}},
      {"GET", "/b/k", {}, "", "UNSIGNED-PAYLOAD", {}},
      {"GET", "/b/k", {}, "h\r\n", "UNSIGNED-PAYLOAD", {}},
      {"GET", "/b/k", {}, "h", "unsigned-payload", {}},
      {"GET",
       "/b/k",
       {},
       "h",
       "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855",
       {}},
      {"GET", "/b/k", {}, "h", "abc", {}},
      {"GET", "/b/k", {}, "h", "UNSIGNED-PAYLOAD", crlf},
      {"GET", "/b/k", {}, "h", "UNSIGNED-PAYLOAD", reserved},
      {"GET", "/b/k", {}, "h", "UNSIGNED-PAYLOAD", host},
      {"GET", "/b/k", {}, "h", "UNSIGNED-PAYLOAD", dup},
      {"GET", "/b/k", {}, "h", "UNSIGNED-PAYLOAD", bad_name},
      {"GET", "/b/k", {}, "h", "UNSIGNED-PAYLOAD", many},
  };
  for (const SignInput& in : cases) {
    auto r = signer.sign(in, kExampleTime);
    assert_false(r.has_value());
    assert_int_equal(static_cast<int>(r.error().code()), static_cast<int>(Code::kInvalidArgument));
  }
  const std::vector<HeaderPair> query(RequestSigner::kMaxQuery + 1, HeaderPair{"a", "1"});
  assert_false(signer.sign({"GET", "/", query, "h", "UNSIGNED-PAYLOAD", {}}, 0).has_value());
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_aws_get_object_example),
      cmocka_unit_test(test_aws_put_object_example),
      cmocka_unit_test(test_aws_query_examples),
      cmocka_unit_test(test_round_trip_through_verifier),
      cmocka_unit_test(test_key_changes_with_the_day),
      cmocka_unit_test(test_rejects_bad_input),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
