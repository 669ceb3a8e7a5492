// Unit tests of the SigV4 building blocks: canonical URI/query/header values, timestamp
// parsing, Authorization/credential parsing and the signing-key cache.

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "amz_date.h"
#include "canonical_request.h"
#include "flashstor/auth/sigv4.h"
#include "signature_params.h"
#include "signing.h"
#include "signing_key_cache.h"
#include "sigv4_test_util.h"

#include "cmocka_cpp.h"

using namespace flashstor;
using namespace flashstor::auth;
using namespace flashstor::auth::testing;

namespace {

std::string Uri(std::string_view raw) {
  std::string out;
  AppendCanonicalUri(raw, out);
  return out;
}

void test_canonical_uri(void**) {
  assert_string_equal(Uri("").c_str(), "/");
  assert_string_equal(Uri("/").c_str(), "/");
  assert_string_equal(Uri("/bucket/key").c_str(), "/bucket/key");
  assert_string_equal(Uri("/test$file.text").c_str(), "/test%24file.text");
  assert_string_equal(Uri("/test%24file.text").c_str(), "/test%24file.text");
  assert_string_equal(Uri("/b/a%20b+c").c_str(), "/b/a%20b%2Bc");
  assert_string_equal(Uri("/b/%c3%bc~-_.").c_str(), "/b/%C3%BC~-_.");
  assert_string_equal(Uri("/b/a%2Fb").c_str(), "/b/a%2Fb");  // encoded slash stays encoded
  assert_string_equal(Uri("/b//k/").c_str(), "/b//k/");      // no normalisation
  assert_string_equal(Uri("/b/./../k").c_str(), "/b/./../k");
  assert_string_equal(Uri("/b/100%").c_str(), "/b/100%25");  // malformed escape kept literal
  assert_string_equal(Uri("/b/%zz%4").c_str(), "/b/%25zz%254");
}

void test_canonical_query(void**) {
  TestRequest r("GET", "/", {},
                {{"prefix", "a/b c"},
                 {"acl", ""},
                 {"X-Amz-Signature", "abc"},
                 {"b", "2"},
                 {"b", "1"},
                 {"B", "0"},
                 {"\xc3\xbc", "~*'"}});
  std::string out;
  AppendCanonicalQuery(r.query(), /*skip_signature=*/false, out);
  assert_string_equal(out.c_str(),
                      "%C3%BC=~%2A%27&B=0&X-Amz-Signature=abc&acl=&b=1&b=2&prefix=a%2Fb%20c");
  out.clear();
  AppendCanonicalQuery(r.query(), /*skip_signature=*/true, out);
  assert_string_equal(out.c_str(), "%C3%BC=~%2A%27&B=0&acl=&b=1&b=2&prefix=a%2Fb%20c");
  out.clear();
  AppendCanonicalQuery({}, false, out);
  assert_true(out.empty());
}

void test_canonical_value(void**) {
  auto canon = [](std::string_view v) {
    std::string out;
    AppendCanonicalValue(v, out);
    return out;
  };
  assert_string_equal(canon("  a   b\t\tc  ").c_str(), "a b c");
  assert_string_equal(canon("").c_str(), "");
  assert_string_equal(canon("   ").c_str(), "");
  assert_string_equal(canon("x").c_str(), "x");
}

void test_canonical_headers(void**) {
  TestRequest r("PUT", "/",
                {{"Host", "h"}, {"X-A", " 1 "}, {"x-a", "2  3"}, {"Content-Type", "text/plain"}});
  http::Request req = r.request();
  req.content_length = 42;
  std::string out;
  assert_true(AppendCanonicalHeaders(req, "content-length;content-type;host;x-a", out).ok());
  assert_string_equal(out.c_str(),
                      "content-length:42\ncontent-type:text/plain\nhost:h\nx-a:1,2 3\n");
  out.clear();
  Status s = AppendCanonicalHeaders(req, "host;x-missing", out);
  assert_int_equal(static_cast<int>(s.code()), static_cast<int>(Code::kSignatureMismatch));
  out.clear();
  assert_true(AppendCanonicalHeaders(req, "expect;host", out).ok());
  assert_string_equal(out.c_str(), "expect:100-continue\nhost:h\n");
}

void test_amz_dates(void**) {
  assert_true(ParseAmzDate("20130524T000000Z") == std::optional<std::time_t>(1369353600));
  assert_true(ParseAmzDate("20000229T235959Z") == std::optional<std::time_t>(951868799));
  assert_false(ParseAmzDate("20010229T000000Z").has_value());
  assert_false(ParseAmzDate("20130524T240000Z").has_value());
  assert_false(ParseAmzDate("20130524 000000Z").has_value());
  assert_false(ParseAmzDate("20130524T000000").has_value());
  assert_false(ParseAmzDate("2013052aT000000Z").has_value());
  assert_false(ParseAmzDate("").has_value());
  assert_true(ParseHttpDate("Fri, 24 May 2013 00:00:00 GMT") ==
              std::optional<std::time_t>(1369353600));
  assert_false(ParseHttpDate("Fri, 24 Mai 2013 00:00:00 GMT").has_value());
  assert_false(ParseHttpDate("Fri, 24 May 2013 00:00:00 UTC").has_value());
  assert_false(ParseHttpDate("Friday, 24-May-13 00:00:00 GMT").has_value());
  auto f = FormatAmzDate(1369353600);
  assert_true(std::string_view(f.data(), f.size()) == "20130524T000000Z");
  auto g = FormatAmzDate(951868799);
  assert_true(std::string_view(g.data(), g.size()) == "20000229T235959Z");
}

void test_parse_credential(void**) {
  auto c = ParseCredential("AKID/20130524/us-east-1/s3/aws4_request");
  assert_true(c.has_value());
  assert_true(c->access_key == "AKID");
  assert_true(c->date == "20130524");
  assert_true(c->region == "us-east-1");
  assert_true(c->service == "s3");
  assert_true(c->scope == "20130524/us-east-1/s3/aws4_request");
  // The IAM query API is served on the same endpoint.
  auto iam = ParseCredential("AKID/20130524/us-east-1/iam/aws4_request");
  assert_true(iam.has_value());
  assert_true(iam->service == "iam");
  // An access key containing '/' keeps everything before the last four components.
  auto slash = ParseCredential("a/b/20130524/r/s3/aws4_request");
  assert_true(slash.has_value());
  assert_true(slash->access_key == "a/b");
  for (std::string_view bad : {"", "AKID", "AKID/20130524/us-east-1/s3",
                               "AKID/20130524//s3/aws4_request", "AKID/2013052x/r/s3/aws4_request",
                               "AKID/20130524/r/ec2/aws4_request", "/20130524/r/s3/aws4_request"}) {
    auto r = ParseCredential(bad);
    assert_false(r.has_value());
    assert_int_equal(static_cast<int>(r.error().code()),
                     static_cast<int>(Code::kAuthorizationHeaderMalformed));
  }
}

void test_parse_authorization(void**) {
  auto p = ParseAuthorizationHeader(
      "  AWS4-HMAC-SHA256 SignedHeaders=host;x-amz-date,Signature=abc,  "
      "Credential=AKID/20130524/us-east-1/s3/aws4_request  ");
  assert_true(p.has_value());
  assert_true(p->credential.access_key == "AKID");
  assert_true(p->signed_headers == "host;x-amz-date");
  assert_true(p->signature == "abc");
  assert_true(CheckSignedHeaders(p->signed_headers).ok());
  std::string many = "host";
  for (int i = 0; i < 64; ++i) many += ";x-h" + std::to_string(i);
  assert_int_equal(static_cast<int>(CheckSignedHeaders(many).code()),
                   static_cast<int>(Code::kAuthorizationHeaderMalformed));
  assert_int_equal(static_cast<int>(CheckSignedHeaders("").code()),
                   static_cast<int>(Code::kAuthorizationHeaderMalformed));
  assert_int_equal(static_cast<int>(CheckSignedHeaders("host;").code()),
                   static_cast<int>(Code::kAuthorizationHeaderMalformed));
  // Syntax only: whether host is signed is CheckHeadersSigned's question.
  assert_true(CheckSignedHeaders("range").ok());
}

void test_signing_key_cache(void**) {
  SigningKeyCache cache(2);
  auto expected = DeriveSigningKey(kSecretKey, "20130524", "us-east-1", "s3");
  auto k = cache.sign(kAccessKey, kSecretKey, "20130524", "us-east-1", "s3", "").key;
  assert_memory_equal(k.data(), expected.data(), 32);
  assert_int_equal(cache.size(), 1);
  k = cache.sign(kAccessKey, kSecretKey, "20130524", "us-east-1", "s3", "").key;
  assert_memory_equal(k.data(), expected.data(), 32);
  assert_int_equal(cache.size(), 1);
  // A rotated secret under the same access key is not served the stale key.
  auto rotated = cache.sign(kAccessKey, "another-secret", "20130524", "us-east-1", "s3", "").key;
  auto rotated_expected = DeriveSigningKey("another-secret", "20130524", "us-east-1", "s3");
  assert_memory_equal(rotated.data(), rotated_expected.data(), 32);
  // Bounded: a third distinct scope clears the full cache instead of growing it.
  (void)cache.sign(kAccessKey, kSecretKey, "20130525", "us-east-1", "s3", "");
  assert_int_equal(cache.size(), 2);
  (void)cache.sign(kAccessKey, kSecretKey, "20130526", "us-east-1", "s3", "");
  assert_true(cache.size() <= 2);
  // sign(): the key and its MAC of the string to sign, from the entry's keyed context, as
  // HmacSha256 computes it from the key; a rotated secret signs with its own key.
  const std::string_view sts = "AWS4-HMAC-SHA256\n20130524T000000Z\nscope\nhash";
  SigningKeyCache::Signed signed_once =
      cache.sign(kAccessKey, kSecretKey, "20130524", "us-east-1", "s3", sts);
  assert_memory_equal(signed_once.key.data(), expected.data(), 32);
  const Digest want = HmacSha256(expected, sts);
  assert_memory_equal(signed_once.mac.data(), want.data(), 32);
  SigningKeyCache::Signed again =
      cache.sign(kAccessKey, kSecretKey, "20130524", "us-east-1", "s3", sts);
  assert_memory_equal(again.mac.data(), want.data(), 32);  // the keyed context is reused
  SigningKeyCache::Signed other =
      cache.sign(kAccessKey, "another-secret", "20130524", "us-east-1", "s3", sts);
  const Digest other_want = HmacSha256(rotated_expected, sts);
  assert_memory_equal(other.mac.data(), other_want.data(), 32);
  // A secret that only shares a prefix with the cached one misses too.
  SigningKeyCache::Signed prefix =
      cache.sign(kAccessKey, "another-secre", "20130524", "us-east-1", "s3", sts);
  const Digest prefix_want =
      HmacSha256(DeriveSigningKey("another-secre", "20130524", "us-east-1", "s3"), sts);
  assert_memory_equal(prefix.mac.data(), prefix_want.data(), 32);
  // Concurrent use from several threads yields the right key.
  SigningKeyCache shared;
  std::vector<std::thread> threads;
  std::vector<int> ok(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&shared, &ok, &expected, t] {
      const Digest mac = HmacSha256(expected, "string to sign");
      for (int i = 0; i < 200; ++i) {
        auto key = shared.sign(kAccessKey, kSecretKey, "20130524", "us-east-1", "s3", "").key;
        auto sig =
            shared.sign(kAccessKey, kSecretKey, "20130524", "us-east-1", "s3", "string to sign");
        ok[t] += key == expected && sig.key == expected && sig.mac == mac ? 1 : 0;
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < 4; ++t) assert_int_equal(ok[t], 200);
}

// HMAC-SHA256 and SHA-256 share process-wide fetched algorithms and a keyless HMAC template
// that every call copies (signing.cc): concurrent calls with different keys must each get their
// own key's MAC (RFC 4231 test case 2; a 40-byte key against its single-threaded MAC) and the
// empty string's SHA-256, never another call's.
void test_hmac_concurrent_calls(void**) {
  auto bytes = [](std::string_view s) {
    return std::span<const unsigned char>(reinterpret_cast<const unsigned char*>(s.data()),
                                          s.size());
  };
  const std::string_view data = "what do ya want for nothing?";
  const std::string expected = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";
  const std::string other_key(40, 'x');
  const Digest other_mac = HmacSha256(bytes(other_key), data);
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 2000; ++i) {
        if (t % 2 == 0) {
          wrong += std::string(View(ToHex(HmacSha256(bytes("Jefe"), data)))) != expected;
        } else {
          wrong += HmacSha256(bytes(other_key), data) != other_mac;
          wrong += std::string_view(View(ToHex(Sha256Of("")))) != kEmptySha;
        }
      }
    });
  }
  for (std::thread& th : threads) th.join();
  assert_int_equal(wrong.load(), 0);
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_canonical_uri),
      cmocka_unit_test(test_canonical_query),
      cmocka_unit_test(test_canonical_value),
      cmocka_unit_test(test_canonical_headers),
      cmocka_unit_test(test_amz_dates),
      cmocka_unit_test(test_parse_credential),
      cmocka_unit_test(test_parse_authorization),
      cmocka_unit_test(test_signing_key_cache),
      cmocka_unit_test(test_hmac_concurrent_calls),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
