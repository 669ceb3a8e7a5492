// Unit tests of iam::StaticCredentials and the credential rules: validation boundaries,
// root loading from env and config, extra users, lookup and concurrent readers.

#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "flashstor/iam/static_credentials.h"

#include "cmocka_cpp.h"

using namespace flashstor;
using flashstor::iam::StaticCredentials;

namespace {

int CodeOf(const Status& s) {
  return static_cast<int>(s.code());
}

void test_validation_boundaries(void**) {
  const int invalid = static_cast<int>(Code::kInvalidArgument);
  assert_true(iam::ValidateRootCredentials("abc", "12345678").ok());
  assert_true(iam::ValidateRootCredentials(std::string(128, 'a'), std::string(128, 'b')).ok());
  assert_int_equal(CodeOf(iam::ValidateRootCredentials("ab", "12345678")), invalid);
  assert_int_equal(CodeOf(iam::ValidateRootCredentials(std::string(129, 'a'), "12345678")),
                   invalid);
  assert_int_equal(CodeOf(iam::ValidateRootCredentials("abc", "1234567")), invalid);
  assert_int_equal(CodeOf(iam::ValidateRootCredentials("abc", std::string(129, 'b'))), invalid);
  assert_int_equal(CodeOf(iam::ValidateRootCredentials("a c", "12345678")), invalid);
  assert_int_equal(CodeOf(iam::ValidateRootCredentials("a,c", "12345678")), invalid);
  assert_int_equal(CodeOf(iam::ValidateRootCredentials("a=c", "12345678")), invalid);
  assert_int_equal(CodeOf(iam::ValidateRootCredentials("a/c", "12345678")), invalid);
  assert_int_equal(CodeOf(iam::ValidateRootCredentials("abc", "1234 5678")), invalid);
  assert_int_equal(CodeOf(iam::ValidateRootCredentials("abc", "1234\n5678")), invalid);
  assert_int_equal(CodeOf(iam::ValidateRootCredentials("ab\x80", "12345678")), invalid);
  // Secrets may hold '/', '+', '=' (AWS-style secrets do).
  assert_true(
      iam::ValidateRootCredentials("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPx=").ok());
  // The message names the rule, never the value.
  Status s = iam::ValidateRootCredentials("abc", "short");
  assert_true(s.message().find("short") == std::string_view::npos);
  assert_false(s.message().empty());
}

void test_load_root(void**) {
  unsetenv("FLASHSTOR_ROOT_USER");
  unsetenv("FLASHSTOR_ROOT_PASSWORD");
  auto none = iam::LoadRootCredential("", "");
  assert_false(none.has_value());
  assert_int_equal(CodeOf(none.error()), static_cast<int>(Code::kInvalidArgument));
  auto cfg = iam::LoadRootCredential("cfguser", "cfgpassword");
  assert_true(cfg.has_value());
  assert_string_equal(cfg->access_key.c_str(), "cfguser");
  assert_string_equal(cfg->secret_key.c_str(), "cfgpassword");
  assert_true(cfg->is_root);
  setenv("FLASHSTOR_ROOT_USER", "envuser", 1);
  setenv("FLASHSTOR_ROOT_PASSWORD", "envpassword", 1);
  auto env = iam::LoadRootCredential("cfguser", "cfgpassword");
  assert_true(env.has_value());
  assert_string_equal(env->access_key.c_str(), "envuser");
  assert_string_equal(env->secret_key.c_str(), "envpassword");
  setenv("FLASHSTOR_ROOT_PASSWORD", "short", 1);
  auto bad = iam::LoadRootCredential("cfguser", "cfgpassword");
  assert_false(bad.has_value());
  unsetenv("FLASHSTOR_ROOT_USER");
  unsetenv("FLASHSTOR_ROOT_PASSWORD");
}

void test_lookup_and_users(void**) {
  auth::Credential root{"rootuser", "rootpassword", "", false};
  auto store = StaticCredentials::Create(root);
  assert_true(store.has_value());
  auto& creds = **store;
  auto r = creds.lookup("rootuser");
  assert_true(r.has_value());
  assert_true(r->is_root);  // marked root by Create
  assert_string_equal(r->secret_key.c_str(), "rootpassword");
  assert_false(creds.lookup("rootuse").has_value());
  assert_false(creds.lookup("").has_value());

  assert_true(creds.add_user("alice", "alicepassword").ok());
  auto a = creds.lookup("alice");
  assert_true(a.has_value());
  assert_false(a->is_root);
  assert_int_equal(CodeOf(creds.add_user("alice", "otherpassword")),
                   static_cast<int>(Code::kAlreadyExists));
  assert_int_equal(CodeOf(creds.add_user("rootuser", "otherpassword")),
                   static_cast<int>(Code::kAlreadyExists));
  assert_int_equal(CodeOf(creds.add_user("bo", "bobpassword")),
                   static_cast<int>(Code::kInvalidArgument));
  assert_int_equal(creds.size(), 2);

  auth::Credential weak{"rootuser", "short", "", true};
  assert_false(StaticCredentials::Create(weak).has_value());
}

void test_concurrent_readers(void**) {
  auto store = StaticCredentials::Create(auth::Credential{"rootuser", "rootpassword", "", true});
  assert_true(store.has_value());
  auth::CredentialProvider& provider = **store;
  std::vector<std::thread> threads;
  std::vector<int> found(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&provider, &found, t] {
      for (int i = 0; i < 1000; ++i) found[t] += provider.lookup("rootuser").has_value() ? 1 : 0;
    });
  }
  // A writer at start-up time racing the readers must not disturb them.
  assert_true((*store)->add_user("carol", "carolpassword").ok());
  for (auto& th : threads) th.join();
  for (int t = 0; t < 4; ++t) assert_int_equal(found[t], 1000);
  assert_true(provider.lookup("carol").has_value());
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_validation_boundaries),
      cmocka_unit_test(test_load_root),
      cmocka_unit_test(test_lookup_and_users),
      cmocka_unit_test(test_concurrent_readers),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
