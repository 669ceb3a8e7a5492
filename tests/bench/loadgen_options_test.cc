// Unit tests of ParseOptions: defaults, bounds, credentials from the environment, bad input.
#include "loadgen_options.h"

#include <algorithm>
#include <cstdlib>
#include <vector>

#include "bench_test.h"

using namespace flashstor;
using namespace flashstor::bench;

namespace {

Result<Options> Parse(const std::vector<const char*>& args) {
  const char* argv[64] = {"flashstor_loadgen"};
  if (args.size() >= 64) return Err(Code::kInvalidArgument);
  std::copy(args.begin(), args.end(), argv + 1);
  return ParseOptions(static_cast<int>(args.size() + 1), argv);
}

void clear_env() {
  for (const char* n : {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "FLASHSTOR_ROOT_USER",
                        "FLASHSTOR_ROOT_PASSWORD"}) {
    unsetenv(n);
  }
}

void test_full_command_line(void**) {
  clear_env();
  auto o = Parse({"--endpoint",
                  "http://127.0.0.1:9000",
                  "--access-key",
                  "K",
                  "--secret-key",
                  "S",
                  "--bucket",
                  "b",
                  "--op",
                  "mixed",
                  "--size",
                  "1048576",
                  "--concurrency",
                  "8",
                  "--duration",
                  "2.5",
                  "--keys",
                  "100",
                  "--sha256-payload",
                  "--json",
                  "--prefill",
                  "--verify",
                  "--timeout",
                  "5",
                  "--max-ops",
                  "1000",
                  "--prefix",
                  "p"});
  assert_true(o.has_value());
  assert_int_equal(static_cast<int>(o->op), static_cast<int>(Op::kMixed));
  assert_int_equal(o->size, 1048576);
  assert_int_equal(o->concurrency, 8);
  assert_true(o->duration == 2.5);
  assert_int_equal(o->keys, 100);
  assert_true(o->sha256_payload && o->json && o->prefill && o->verify && o->sign);
  assert_int_equal(o->timeout_ms, 5000);
  assert_int_equal(o->max_ops, 1000);
  assert_string_equal(o->prefix.c_str(), "p");
  assert_string_equal(o->secret_key.c_str(), "S");
}

void test_defaults_and_env_credentials(void**) {
  clear_env();
  setenv("FLASHSTOR_ROOT_USER", "root-user", 1);
  setenv("FLASHSTOR_ROOT_PASSWORD", "root-pass", 1);
  auto o = Parse({"--endpoint", "http://127.0.0.1:1", "--bucket", "b"});
  assert_true(o.has_value());
  assert_int_equal(static_cast<int>(o->op), static_cast<int>(Op::kPut));
  assert_false(o->sha256_payload);  // UNSIGNED-PAYLOAD by default
  assert_string_equal(o->access_key.c_str(), "root-user");
  assert_string_equal(o->secret_key.c_str(), "root-pass");
  setenv("AWS_ACCESS_KEY_ID", "aws-user", 1);  // takes precedence over FLASHSTOR_ROOT_USER
  o = Parse({"--endpoint", "http://127.0.0.1:1", "--bucket", "b", "--unsigned-payload"});
  assert_true(o.has_value());
  assert_string_equal(o->access_key.c_str(), "aws-user");
  clear_env();
}

void test_no_sign_needs_no_credentials(void**) {
  clear_env();
  assert_false(Parse({"--endpoint", "http://127.0.0.1:1", "--bucket", "b"}).has_value());
  auto o = Parse({"--endpoint", "http://127.0.0.1:1", "--bucket", "b", "--no-sign"});
  assert_true(o.has_value());
  assert_false(o->sign);
  // Heal is an admin call: it has to be signed.
  assert_false(
      Parse({"--endpoint", "http://127.0.0.1:1", "--bucket", "b", "--no-sign", "--op", "heal"})
          .has_value());
  o = Parse({"--endpoint", "http://127.0.0.1:1", "--bucket", "b", "--no-sign", "--op", "head"});
  assert_true(o.has_value() && o->op == Op::kHead && OpName(o->op) == "head");
}

void test_bounds(void**) {
  clear_env();
  const std::vector<std::vector<const char*>> bad = {
      {"--size", "1073741825"},  // above 1 GiB
      {"--size", "-1"},
      {"--size", "1k"},
      {"--concurrency", "0"},
      {"--concurrency", "1025"},  // threads: only idle may go higher
      {"--concurrency", "10001"},
      {"--duration", "0"},
      {"--duration", "3601"},
      {"--duration", "nan"},
      {"--duration", "x"},
      {"--keys", "0"},
      {"--keys", "1000001"},
      {"--timeout", "0"},
      {"--op", "delete"},
      {"--bogus"},
      {"--size"},            // missing value
      {"--prefix", "a\nb"},  // control character
  };
  for (const auto& extra : bad) {
    std::vector<const char*> args = {"--endpoint", "http://127.0.0.1:1", "--bucket", "b",
                                     "--no-sign"};
    args.insert(args.end(), extra.begin(), extra.end());
    auto o = Parse(args);
    if (o.has_value()) print_error("accepted %s\n", extra[0]);
    assert_false(o.has_value());
  }
  auto idle = Parse({"--endpoint", "http://127.0.0.1:1", "--bucket", "b", "--no-sign", "--op",
                     "idle", "--concurrency", "1000"});
  assert_true(idle.has_value());
  assert_int_equal(idle->concurrency, 1000);
  auto list = Parse({"--endpoint", "http://127.0.0.1:1", "--bucket", "b", "--no-sign", "--op",
                     "list", "--concurrency", "1024"});
  assert_true(list.has_value());
  assert_int_equal(static_cast<int>(list->op), static_cast<int>(Op::kList));
  assert_int_equal(list->concurrency, 1024);
  assert_false(Parse({"--bucket", "b", "--no-sign"}).has_value());  // no endpoint
  assert_false(Parse({"--endpoint", "http://127.0.0.1:1", "--no-sign"}).has_value());  // bucket
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_full_command_line),
      cmocka_unit_test(test_defaults_and_env_credentials),
      cmocka_unit_test(test_no_sign_needs_no_credentials),
      cmocka_unit_test(test_bounds),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
