// Unit tests of the policy language: parsing refusals naming the element, and evaluation
// built from AWS's documented examples (each condition operator, policy variables, explicit
// deny precedence, NotAction / NotResource, Principal / NotPrincipal).

#include <string>

#include "flashstor/iam/policy.h"

#include "cmocka_cpp.h"

using namespace flashstor;
using namespace flashstor::iam;

namespace {

Policy MustParse(const std::string& json, PolicyKind kind = PolicyKind::kIdentity) {
  auto p = ParsePolicy(json, kind);
  if (!p) fail_msg("parse failed: %s", p.error().reason.c_str());
  return *p;
}

std::string Refusal(const std::string& json, PolicyKind kind = PolicyKind::kIdentity) {
  auto p = ParsePolicy(json, kind);
  return p ? std::string() : p.error().reason;
}

Principal Alice() {
  Principal p;
  p.anonymous = false;
  p.account = "000000000000";
  p.arn = "arn:aws:iam::000000000000:user/alice";
  p.username = "alice";
  p.userid = "AIDAALICE";
  return p;
}

Decision Eval(const Policy& p, std::string_view action, std::string_view resource,
              const Principal* who, RequestContext::keys_type extra = {}) {
  RequestContext ctx;
  ctx.action = action;
  ctx.resource = resource;
  ctx.principal = who;
  ctx.keys = std::move(extra);
  if (who != nullptr && !who->anonymous) {
    ctx.keys["aws:username"] = {who->username};
    ctx.keys["aws:userid"] = {who->userid};
  }
  return Evaluate(p, ctx);
}

void test_wildcards(void**) {
  assert_true(WildcardMatch("arn:aws:s3:::b/*", "arn:aws:s3:::b/a/b/c"));
  assert_true(WildcardMatch("a?c", "abc"));
  assert_false(WildcardMatch("a?c", "ac"));
  assert_true(WildcardMatch("*", ""));
  assert_false(WildcardMatch("arn:aws:s3:::b/*", "arn:aws:s3:::b"));
  assert_true(WildcardMatch("s3:get*", "S3:GetObject", true));
  assert_false(WildcardMatch("s3:get*", "S3:GetObject", false));
}

void test_parse_refusals(void**) {
  assert_true(Refusal("not json").find("Syntax") != std::string::npos);
  assert_true(Refusal(R"({"Version":"2012-10-17"})").find("Statement") != std::string::npos);
  assert_true(
      Refusal(
          R"({"Version":"2012-10-17","Statement":{"Effect":"Permit","Action":"*","Resource":"*"}})")
          .find("Statement.Effect") != std::string::npos);
  assert_true(Refusal(R"({"Version":"2013-01-01","Statement":[]})").find("Version") !=
              std::string::npos);
  assert_true(Refusal(R"({"Statement":[{"Effect":"Allow","Action":"s3:*"}]})")
                  .find("Statement[0]: missing Resource") != std::string::npos);
  assert_true(
      Refusal(R"({"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Principal":"*"}})")
          .find("Statement.Principal") != std::string::npos);
  assert_true(Refusal(R"({"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}})",
                      PolicyKind::kResource)
                  .find("missing Principal") != std::string::npos);
  assert_true(
      Refusal(
          R"({"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringFoo":{"aws:username":"a"}}}})")
          .find("StringFoo") != std::string::npos);
  assert_true(Refusal(R"({"Statement":{"Effect":"Allow","Action":"GetObject","Resource":"*"}})")
                  .find("invalid action") != std::string::npos);
  assert_true(Refusal(R"({"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"bucket"}})")
                  .find("invalid resource") != std::string::npos);
  assert_true(
      Refusal(R"({"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Bogus":1}})")
          .find("Statement.Bogus") != std::string::npos);
  assert_int_equal(PolicyCharCount("{ \"a\" :\n 1 }"), 7);
}

// AWS example: allow everything in one bucket, then an explicit deny on a prefix wins.
void test_deny_precedence(void**) {
  Policy p = MustParse(R"({"Version":"2012-10-17","Statement":[
    {"Effect":"Allow","Action":"s3:*","Resource":["arn:aws:s3:::b","arn:aws:s3:::b/*"]},
    {"Effect":"Deny","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/secret/*"}]})");
  Principal a = Alice();
  assert_int_equal(Eval(p, "s3:GetObject", "arn:aws:s3:::b/x", &a), Decision::kAllow);
  assert_int_equal(Eval(p, "s3:GetObject", "arn:aws:s3:::b/secret/x", &a), Decision::kDeny);
  assert_int_equal(Eval(p, "s3:GetObject", "arn:aws:s3:::c/x", &a), Decision::kNoMatch);
}

void test_not_action_not_resource(void**) {
  Policy p = MustParse(R"({"Version":"2012-10-17","Statement":[
    {"Effect":"Allow","NotAction":"iam:*","Resource":"*"},
    {"Effect":"Deny","Action":"s3:*","NotResource":["arn:aws:s3:::home","arn:aws:s3:::home/*"]}]})");
  Principal a = Alice();
  assert_int_equal(Eval(p, "s3:GetObject", "arn:aws:s3:::home/k", &a), Decision::kAllow);
  assert_int_equal(Eval(p, "s3:GetObject", "arn:aws:s3:::other/k", &a), Decision::kDeny);
  assert_int_equal(Eval(p, "iam:CreateUser", "*", &a), Decision::kNoMatch);
}

// AWS example: each user gets a home prefix through ${aws:username}.
void test_policy_variables(void**) {
  Policy p = MustParse(R"({"Version":"2012-10-17","Statement":[
    {"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::home",
     "Condition":{"StringLike":{"s3:prefix":["${aws:username}/*"]}}},
    {"Effect":"Allow","Action":"s3:*Object","Resource":"arn:aws:s3:::home/${aws:username}/*"}]})");
  Principal a = Alice();
  assert_int_equal(Eval(p, "s3:PutObject", "arn:aws:s3:::home/alice/f", &a), Decision::kAllow);
  assert_int_equal(Eval(p, "s3:PutObject", "arn:aws:s3:::home/bob/f", &a), Decision::kNoMatch);
  assert_int_equal(Eval(p, "s3:ListBucket", "arn:aws:s3:::home", &a, {{"s3:prefix", {"alice/x"}}}),
                   Decision::kAllow);
  assert_int_equal(Eval(p, "s3:ListBucket", "arn:aws:s3:::home", &a, {{"s3:prefix", {"bob/"}}}),
                   Decision::kNoMatch);
  // Version 2008-10-17: variables are literal text.
  Policy old = MustParse(R"({"Version":"2008-10-17","Statement":
    {"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::home/${aws:username}/*"}})");
  assert_int_equal(Eval(old, "s3:GetObject", "arn:aws:s3:::home/alice/f", &a), Decision::kNoMatch);
}

void test_string_operators(void**) {
  Principal a = Alice();
  auto one = [&](const char* op, const char* value, const char* actual) {
    std::string json =
        std::string(
            R"({"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{")") +
        op + R"(":{"s3:x-amz-acl":")" + value + R"("}}}})";
    Policy p = MustParse(json);
    RequestContext::keys_type keys;
    if (actual != nullptr) keys["s3:x-amz-acl"] = {actual};
    return Eval(p, "s3:PutObject", "arn:aws:s3:::b/k", &a, keys) == Decision::kAllow;
  };
  assert_true(one("StringEquals", "private", "private"));
  assert_false(one("StringEquals", "private", "Private"));
  assert_false(one("StringEquals", "private", nullptr));
  assert_true(one("StringEqualsIfExists", "private", nullptr));
  assert_true(one("StringNotEquals", "private", "public-read"));
  assert_false(one("StringNotEquals", "private", "private"));
  assert_true(one("StringEqualsIgnoreCase", "private", "PRIVATE"));
  assert_false(one("StringNotEqualsIgnoreCase", "private", "PRIVATE"));
  assert_true(one("StringLike", "pub*", "public-read"));
  assert_false(one("StringLike", "pub?", "public-read"));
  assert_true(one("StringNotLike", "pub*", "private"));
  assert_true(one("Null", "true", nullptr));
  assert_false(one("Null", "true", "x"));
  assert_true(one("Null", "false", "x"));
}

void test_numeric_date_bool_ip(void**) {
  Principal a = Alice();
  Policy p =
      MustParse(R"({"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:ListBucket",
    "Resource":"arn:aws:s3:::b","Condition":{
      "NumericLessThanEquals":{"s3:max-keys":"10"},
      "DateLessThan":{"aws:CurrentTime":"2030-01-01T00:00:00Z"},
      "DateGreaterThan":{"aws:CurrentTime":"2020-01-01"},
      "Bool":{"aws:SecureTransport":"true"},
      "IpAddress":{"aws:SourceIp":["192.0.2.0/24","2001:db8::/32"]}}}})");
  RequestContext::keys_type ok = {{"s3:max-keys", {"10"}},
                                  {"aws:currenttime", {"2026-12-02T10:00:00Z"}},
                                  {"aws:securetransport", {"true"}},
                                  {"aws:sourceip", {"192.0.2.7"}}};
  assert_int_equal(Eval(p, "s3:ListBucket", "arn:aws:s3:::b", &a, ok), Decision::kAllow);
  auto changed = [&](const char* key, const char* value) {
    RequestContext::keys_type k = ok;
    k[key] = {value};
    return Eval(p, "s3:ListBucket", "arn:aws:s3:::b", &a, k);
  };
  assert_int_equal(changed("s3:max-keys", "11"), Decision::kNoMatch);
  assert_int_equal(changed("aws:currenttime", "2031-01-01T00:00:00Z"), Decision::kNoMatch);
  assert_int_equal(changed("aws:currenttime", "2019-06-01T00:00:00Z"), Decision::kNoMatch);
  assert_int_equal(changed("aws:securetransport", "false"), Decision::kNoMatch);
  assert_int_equal(changed("aws:sourceip", "198.51.100.1"), Decision::kNoMatch);
  assert_int_equal(changed("aws:sourceip", "2001:db8::5"), Decision::kAllow);
  Policy deny_ip = MustParse(R"({"Statement":{"Effect":"Deny","Action":"*","Resource":"*",
    "Condition":{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}})");
  assert_int_equal(Eval(deny_ip, "s3:GetObject", "x", &a, {{"aws:sourceip", {"10.1.2.3"}}}),
                   Decision::kNoMatch);
  assert_int_equal(Eval(deny_ip, "s3:GetObject", "x", &a, {{"aws:sourceip", {"11.1.2.3"}}}),
                   Decision::kDeny);
  Policy numeric = MustParse(R"({"Statement":{"Effect":"Allow","Action":"*","Resource":"*",
    "Condition":{"NumericGreaterThan":{"s3:max-keys":5},"NumericNotEquals":{"s3:max-keys":7}}}})");
  assert_int_equal(Eval(numeric, "s3:ListBucket", "x", &a, {{"s3:max-keys", {"6"}}}),
                   Decision::kAllow);
  assert_int_equal(Eval(numeric, "s3:ListBucket", "x", &a, {{"s3:max-keys", {"7"}}}),
                   Decision::kNoMatch);
  assert_int_equal(Eval(numeric, "s3:ListBucket", "x", &a, {{"s3:max-keys", {"abc"}}}),
                   Decision::kNoMatch);
}

// AWS's set operators: ForAllValues is true for an empty key; ForAnyValue needs one match.
void test_set_operators(void**) {
  Principal a = Alice();
  Policy all = MustParse(R"({"Statement":{"Effect":"Allow","Action":"*","Resource":"*",
    "Condition":{"ForAllValues:StringEquals":{"aws:TagKeys":["env","team"]}}}})");
  assert_int_equal(Eval(all, "s3:X", "x", &a, {{"aws:tagkeys", {"env", "team"}}}),
                   Decision::kAllow);
  assert_int_equal(Eval(all, "s3:X", "x", &a, {{"aws:tagkeys", {"env", "cost"}}}),
                   Decision::kNoMatch);
  assert_int_equal(Eval(all, "s3:X", "x", &a), Decision::kAllow);
  Policy any = MustParse(R"({"Statement":{"Effect":"Allow","Action":"*","Resource":"*",
    "Condition":{"ForAnyValue:StringLike":{"aws:TagKeys":["te*"]}}}})");
  assert_int_equal(Eval(any, "s3:X", "x", &a, {{"aws:tagkeys", {"env", "team"}}}),
                   Decision::kAllow);
  assert_int_equal(Eval(any, "s3:X", "x", &a, {{"aws:tagkeys", {"env"}}}), Decision::kNoMatch);
  assert_int_equal(Eval(any, "s3:X", "x", &a), Decision::kNoMatch);
}

// Bucket policies: "*" covers anonymous callers; a user ARN and NotPrincipal only that user.
void test_principals(void**) {
  Principal anon;
  Principal a = Alice();
  Policy pub = MustParse(R"({"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*",
    "Action":"s3:GetObject","Resource":"arn:aws:s3:::b/public/*"}})",
                         PolicyKind::kResource);
  assert_int_equal(Eval(pub, "s3:GetObject", "arn:aws:s3:::b/public/x", &anon), Decision::kAllow);
  assert_int_equal(Eval(pub, "s3:GetObject", "arn:aws:s3:::b/private/x", &anon),
                   Decision::kNoMatch);
  assert_int_equal(Eval(pub, "s3:PutObject", "arn:aws:s3:::b/public/x", &anon), Decision::kNoMatch);
  Policy user = MustParse(
      R"({"Statement":{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::000000000000:user/alice"]},
    "Action":"s3:*","Resource":"*"}})",
      PolicyKind::kResource);
  assert_int_equal(Eval(user, "s3:GetObject", "x", &a), Decision::kAllow);
  assert_int_equal(Eval(user, "s3:GetObject", "x", &anon), Decision::kNoMatch);
  Policy account = MustParse(R"({"Statement":{"Effect":"Allow","Principal":{"AWS":"000000000000"},
    "Action":"s3:*","Resource":"*"}})",
                             PolicyKind::kResource);
  assert_int_equal(Eval(account, "s3:GetObject", "x", &a), Decision::kAllow);
  Policy notp = MustParse(
      R"({"Statement":{"Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam::000000000000:user/alice"},
    "Action":"s3:*","Resource":"*"}})",
      PolicyKind::kResource);
  assert_int_equal(Eval(notp, "s3:GetObject", "x", &a), Decision::kNoMatch);
  assert_int_equal(Eval(notp, "s3:GetObject", "x", &anon), Decision::kDeny);
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_wildcards),
      cmocka_unit_test(test_parse_refusals),
      cmocka_unit_test(test_deny_precedence),
      cmocka_unit_test(test_not_action_not_resource),
      cmocka_unit_test(test_policy_variables),
      cmocka_unit_test(test_string_operators),
      cmocka_unit_test(test_numeric_date_bool_ip),
      cmocka_unit_test(test_set_operators),
      cmocka_unit_test(test_principals),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
