// Unit tests of the web identity JWT verifier: good RS256 and ES256 tokens from keys made
// here with OpenSSL, and refusals (bad signature, unknown kid, alg none / HS256, expired, not
// yet valid, wrong aud / iss, oversized).

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include <string>

#include "flashstor/iam/jwt_verifier.h"

#include "cmocka_cpp.h"

using namespace flashstor::iam;

namespace {

constexpr int64_t kNow = 1'800'000'000;

std::string B64Url(const unsigned char* data, size_t n) {
  std::string out(4 * ((n + 2) / 3) + 1, '\0');
  int len =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, static_cast<int>(n));
  out.resize(static_cast<size_t>(len));
  while (!out.empty() && out.back() == '=') out.pop_back();
  for (char& c : out) c = c == '+' ? '-' : c == '/' ? '_' : c;
  return out;
}
std::string B64Url(const std::string& s) {
  return B64Url(reinterpret_cast<const unsigned char*>(s.data()), s.size());
}

std::string BnB64(EVP_PKEY* key, const char* name, int pad = 0) {
  BIGNUM* bn = nullptr;
  EVP_PKEY_get_bn_param(key, name, &bn);
  std::string raw(static_cast<size_t>(pad ? pad : BN_num_bytes(bn)), '\0');
  BN_bn2binpad(bn, reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(raw.size()));
  BN_free(bn);
  return B64Url(raw);
}

struct Keys {
  EVP_PKEY* rsa = EVP_RSA_gen(2048);
  EVP_PKEY* ec = EVP_EC_gen("P-256");
  ~Keys() {
    EVP_PKEY_free(rsa);
    EVP_PKEY_free(ec);
  }
  std::string jwks() {
    return R"({"keys":[{"kty":"RSA","kid":"r1","n":")" + BnB64(rsa, OSSL_PKEY_PARAM_RSA_N) +
           R"(","e":")" + BnB64(rsa, OSSL_PKEY_PARAM_RSA_E) +
           R"("},{"kty":"EC","kid":"e1","crv":"P-256","x":")" +
           BnB64(ec, OSSL_PKEY_PARAM_EC_PUB_X, 32) + R"(","y":")" +
           BnB64(ec, OSSL_PKEY_PARAM_EC_PUB_Y, 32) + R"("}]})";
  }
  std::string sign(const std::string& alg, const std::string& kid, const std::string& claims) {
    std::string input =
        B64Url(R"({"alg":")" + alg + R"(","kid":")" + kid + R"("})") + "." + B64Url(claims);
    EVP_PKEY* key = alg == "ES256" ? ec : rsa;
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    size_t n = 0;
    EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, key);
    EVP_DigestSign(ctx, nullptr, &n, reinterpret_cast<const unsigned char*>(input.data()),
                   input.size());
    std::string sig(n, '\0');
    EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &n,
                   reinterpret_cast<const unsigned char*>(input.data()), input.size());
    sig.resize(n);
    EVP_MD_CTX_free(ctx);
    if (alg == "ES256") {  // DER -> r||s
      const unsigned char* p = reinterpret_cast<const unsigned char*>(sig.data());
      ECDSA_SIG* es = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(sig.size()));
      std::string raw(64, '\0');
      BN_bn2binpad(ECDSA_SIG_get0_r(es), reinterpret_cast<unsigned char*>(raw.data()), 32);
      BN_bn2binpad(ECDSA_SIG_get0_s(es), reinterpret_cast<unsigned char*>(raw.data()) + 32, 32);
      ECDSA_SIG_free(es);
      sig = raw;
    }
    return input + "." + B64Url(sig);
  }
};

std::string Claims(const std::string& extra = "", const std::string& aud = "app",
                   const std::string& iss = "https://idp.test") {
  return R"({"iss":")" + iss + R"(","aud":")" + aud + R"(","sub":"alice","iat":)" +
         std::to_string(kNow - 10) + R"(,"exp":)" + std::to_string(kNow + 300) + extra + "}";
}

std::unique_ptr<JwtVerifier> Make(Keys& k) {
  auto v = JwtVerifier::Create({"https://idp.test", {"app"}, 60}, k.jwks());
  if (!v) fail_msg("%s", v.error().c_str());
  return std::move(*v);
}

void test_good_rs256_and_es256(void**) {
  Keys k;
  auto v = Make(k);
  for (const char* alg : {"RS256", "ES256"}) {
    auto c = v->verify(k.sign(alg, alg[0] == 'R' ? "r1" : "e1", Claims()), kNow);
    if (!c) fail_msg("%s: %s", alg, c.error().c_str());
    assert_string_equal(c->subject.c_str(), "alice");
    assert_string_equal(c->audience.c_str(), "app");
  }
}

void test_refusals(void**) {
  Keys k;
  auto v = Make(k);
  std::string good = k.sign("RS256", "r1", Claims());
  std::string bad_sig = good;
  bad_sig[bad_sig.size() - 5] = bad_sig[bad_sig.size() - 5] == 'A' ? 'B' : 'A';
  assert_false(v->verify(bad_sig, kNow).has_value());
  assert_false(v->verify(k.sign("RS256", "nope", Claims()), kNow).has_value());
  assert_false(v->verify(k.sign("RS256", "e1", Claims()), kNow).has_value());  // alg vs key
  std::string none = B64Url(R"({"alg":"none","kid":"r1"})") + "." + B64Url(Claims()) + ".";
  assert_false(v->verify(none, kNow).has_value());
  std::string hs = B64Url(R"({"alg":"HS256","kid":"r1"})") + "." + B64Url(Claims()) + ".AAAA";
  assert_false(v->verify(hs, kNow).has_value());
  assert_false(v->verify(good, kNow + 300 + 61).has_value());  // expired beyond the skew
  assert_true(v->verify(good, kNow + 300 + 30).has_value());   // within the skew
  assert_false(
      v->verify(k.sign("RS256", "r1", Claims(",\"nbf\":" + std::to_string(kNow + 600))), kNow)
          .has_value());
  assert_false(v->verify(k.sign("RS256", "r1", Claims("", "other")), kNow).has_value());
  assert_false(
      v->verify(k.sign("RS256", "r1", Claims("", "app", "https://evil.test")), kNow).has_value());
  assert_false(v->verify(std::string(kMaxWebIdentityTokenBytes + 1, 'a'), kNow).has_value());
  assert_false(v->verify("not.a.jwt.at.all", kNow).has_value());
}

void test_bad_jwks_refused(void**) {
  assert_false(JwtVerifier::Create({"https://idp.test", {"app"}, 60}, "{}").has_value());
  assert_false(JwtVerifier::Create({"https://idp.test", {"app"}, 60},
                                   R"({"keys":[{"kty":"oct","kid":"x"}]})")
                   .has_value());
  assert_false(JwtVerifier::Create({"", {"app"}, 60}, R"({"keys":[]})").has_value());
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_good_rs256_and_es256),
      cmocka_unit_test(test_refusals),
      cmocka_unit_test(test_bad_jwks_refused),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
