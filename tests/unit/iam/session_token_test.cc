// Unit tests of STS session tokens: seal/open round trip, tampering, another key, size bound.

#include <string>

#include "flashstor/iam/session_token.h"

#include "cmocka_cpp.h"

using namespace flashstor::iam;

namespace {

SessionClaims Sample() {
  SessionClaims c;
  c.access_key = "ASIAEXAMPLE1234567";
  c.secret_key = "secret-secret-secret-secret-secret-secre";
  c.expiration = 1'900'000'000;
  c.role_name = "reader";
  c.role_id = "AROAEXAMPLE";
  c.session_name = "s1";
  c.source = "arn:aws:iam::000000000000:root";
  c.policy = R"({"Version":"2012-10-17","Statement":[]})";
  c.policy_arns = {"arn:aws:iam::000000000000:policy/p"};
  return c;
}

void test_round_trip(void**) {
  auto key = DeriveSessionKey("root-password");
  assert_true(key.has_value());
  auto token = SealSessionToken(*key, Sample());
  assert_true(token.has_value());
  assert_true(token->find("secret-secret") == std::string::npos);
  auto opened = OpenSessionToken(*key, *token);
  assert_true(opened.has_value());
  assert_string_equal(opened->access_key.c_str(), "ASIAEXAMPLE1234567");
  assert_string_equal(opened->secret_key.c_str(), Sample().secret_key.c_str());
  assert_int_equal(opened->expiration, 1'900'000'000);
  assert_string_equal(opened->role_name.c_str(), "reader");
  assert_string_equal(opened->policy.c_str(), Sample().policy.c_str());
  assert_int_equal(opened->policy_arns.size(), 1);
}

void test_tampered_and_foreign_tokens_refused(void**) {
  auto key = DeriveSessionKey("root-password");
  auto other = DeriveSessionKey("another-root-password");
  auto token = SealSessionToken(*key, Sample());
  assert_false(OpenSessionToken(*other, *token).has_value());
  for (size_t i = 0; i < token->size(); i += 7) {
    std::string t = *token;
    t[i] = t[i] == 'A' ? 'B' : 'A';
    assert_false(OpenSessionToken(*key, t).has_value());
  }
  assert_false(OpenSessionToken(*key, "").has_value());
  assert_false(OpenSessionToken(*key, std::string(kMaxSessionTokenBytes + 4, 'A')).has_value());
  // The session key is not the secret-sealing key (other info): tokens do not cross over.
  auto seal = DeriveSealKey("root-password");
  assert_false(*seal == *key);
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_round_trip),
      cmocka_unit_test(test_tampered_and_foreign_tokens_refused),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
