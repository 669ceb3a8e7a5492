// CORS rule tests: document validation, the canonical form, wildcard matching and AWS's
// first-matching-rule evaluation of origin, method and requested headers.
#include <string>
#include <vector>

#include "flashstor/s3/cors.h"

#include "cmocka_cpp.h"

using namespace flashstor;
using namespace flashstor::s3;

namespace {

std::string Rule(std::string_view body) {
  return "<CORSRule>" + std::string(body) + "</CORSRule>";
}

std::string Doc(std::string_view rules) {
  return "<CORSConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">" +
         std::string(rules) + "</CORSConfiguration>";
}

ErrorId ParseId(const std::string& xml) {
  CorsConfig c;
  return ParseCorsXml(xml, c).id();
}

void test_wildcard(void** state) {
  (void)state;
  assert_true(CorsWildcardMatch("*", "https://a.example", false));
  assert_true(CorsWildcardMatch("https://*.example.com", "https://www.example.com", false));
  assert_false(CorsWildcardMatch("https://*.example.com", "http://www.example.com", false));
  assert_false(CorsWildcardMatch("https://*.example.com", "https://example.com", false));
  assert_true(CorsWildcardMatch("https://a.example", "https://a.example", false));
  assert_false(CorsWildcardMatch("https://a.example", "https://A.example", false));
  assert_true(CorsWildcardMatch("x-amz-*", "X-Amz-Date", true));
  assert_false(CorsWildcardMatch("x-amz-*", "content-type", true));
  assert_true(CorsWildcardMatch("*-id", "x-request-id", true));
  // The head and the tail must not overlap in a short text.
  assert_false(CorsWildcardMatch("ab*ba", "aba", false));
}

void test_parse_and_canonical(void** state) {
  (void)state;
  std::string xml = Doc(Rule("<ID>web</ID><AllowedOrigin>https://*.example.com</AllowedOrigin>"
                             "<AllowedMethod>GET</AllowedMethod><AllowedMethod>PUT</AllowedMethod>"
                             "<AllowedHeader>*</AllowedHeader><ExposeHeader>ETag</ExposeHeader>"
                             "<MaxAgeSeconds>3000</MaxAgeSeconds>") +
                        Rule("<AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod>"));
  CorsConfig c;
  assert_true(ParseCorsXml(xml, c).ok());
  assert_int_equal(c.rules.size(), 2);
  assert_true(c.rules[0].id == "web");
  assert_int_equal(c.rules[0].allowed_methods.size(), 2);
  assert_int_equal(c.rules[0].max_age_seconds, 3000);
  assert_int_equal(c.rules[1].max_age_seconds, -1);
  // The canonical document parses back to the same rules.
  CorsConfig again;
  assert_true(ParseCorsXml(CorsXml(c), again).ok());
  assert_true(CorsXml(again) == CorsXml(c));
  assert_int_equal(again.rules.size(), 2);
  assert_true(again.rules[0].expose_headers == std::vector<std::string>{"ETag"});
}

void test_validation(void** state) {
  (void)state;
  const std::string get = "<AllowedMethod>GET</AllowedMethod>";
  const std::string any = "<AllowedOrigin>*</AllowedOrigin>";
  assert_int_equal(ParseId("not xml"), IdOf(Code::kMalformedXml));
  assert_int_equal(ParseId(Doc("")), IdOf(Code::kMalformedXml));         // no rule
  assert_int_equal(ParseId(Doc(Rule(get))), IdOf(Code::kMalformedXml));  // no origin
  assert_int_equal(ParseId(Doc(Rule(any))), IdOf(Code::kMalformedXml));  // no method
  assert_int_equal(ParseId(Doc(Rule(any + get + "<Bogus/>"))), IdOf(Code::kMalformedXml));
  assert_int_equal(ParseId(Doc(Rule(any + "<AllowedMethod>PATCH</AllowedMethod>"))),
                   IdOf(Code::kInvalidRequest));
  assert_int_equal(ParseId(Doc(Rule(get + "<AllowedOrigin>https://*.*.com</AllowedOrigin>"))),
                   IdOf(Code::kInvalidRequest));
  assert_int_equal(ParseId(Doc(Rule(any + get + "<AllowedHeader>x-*-*</AllowedHeader>"))),
                   IdOf(Code::kInvalidRequest));
  assert_int_equal(ParseId(Doc(Rule(any + get + "<ExposeHeader>*</ExposeHeader>"))),
                   IdOf(Code::kInvalidRequest));
  assert_int_equal(ParseId(Doc(Rule(any + get + "<MaxAgeSeconds>-1</MaxAgeSeconds>"))),
                   IdOf(Code::kInvalidRequest));
  assert_int_equal(ParseId(Doc(Rule(any + get + "<MaxAgeSeconds>99999999999</MaxAgeSeconds>"))),
                   IdOf(Code::kInvalidRequest));
  assert_int_equal(ParseId(Doc(Rule(any + get + "<ID>" + std::string(256, 'i') + "</ID>"))),
                   IdOf(Code::kInvalidArgument));
  std::string hundred, hundred_one;
  for (int i = 0; i < 100; ++i) hundred += Rule(any + get);
  hundred_one = hundred + Rule(any + get);
  assert_int_equal(ParseId(Doc(hundred)), ErrorId::kOk);
  assert_int_equal(ParseId(Doc(hundred_one)), IdOf(Code::kInvalidRequest));
}

void test_matching(void** state) {
  (void)state;
  CorsConfig c;
  assert_true(
      ParseCorsXml(
          Doc(Rule("<ID>a</ID><AllowedOrigin>https://app.example</AllowedOrigin>"
                   "<AllowedMethod>PUT</AllowedMethod><AllowedHeader>x-amz-*</AllowedHeader>"
                   "<AllowedHeader>Content-Type</AllowedHeader>") +
              Rule("<ID>b</ID><AllowedOrigin>https://*.example</AllowedOrigin>"
                   "<AllowedMethod>GET</AllowedMethod><AllowedMethod>HEAD</AllowedMethod>") +
              Rule("<ID>c</ID><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod>"
                   "<AllowedHeader>*</AllowedHeader>")),
          c)
          .ok());
  auto id = [&](std::string_view origin, std::string_view method,
                std::vector<std::string_view> headers) -> std::string {
    const CorsRule* r = MatchCorsRule(c, origin, method, headers);
    return r == nullptr ? "-" : r->id;
  };
  assert_true(id("https://app.example", "PUT", {"X-Amz-Date", "content-type"}) == "a");
  assert_true(id("https://app.example", "PUT", {"x-custom"}) == "-");  // header not allowed
  assert_true(id("https://other.example", "PUT", {}) == "-");          // origin not allowed
  // First match wins: app.example GET goes to b (c would allow it too).
  assert_true(id("https://app.example", "GET", {}) == "b");
  assert_true(id("https://app.example", "GET", {"x-custom"}) == "c");  // b allows no header
  assert_true(id("http://anything", "GET", {}) == "c");
  assert_true(id("http://anything", "DELETE", {}) == "-");
  assert_true(id("https://app.example", "get", {}) == "-");  // methods are case-sensitive
}

void test_header_list(void** state) {
  (void)state;
  std::vector<std::string_view> items;
  assert_true(SplitHeaderList(" a, b ,,c ", 8, items));
  assert_int_equal(items.size(), 3);
  assert_true(items[1] == "b");
  assert_true(SplitHeaderList("", 8, items));
  assert_true(items.empty());
  assert_false(SplitHeaderList("a,b,c", 2, items));
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_wildcard),    cmocka_unit_test(test_parse_and_canonical),
      cmocka_unit_test(test_validation),  cmocka_unit_test(test_matching),
      cmocka_unit_test(test_header_list),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
