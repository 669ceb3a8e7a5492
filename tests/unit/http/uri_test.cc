// Unit tests of the URI helpers: percent-decoding edge cases, query parsing and the SigV4
// UriEncode vectors.
#include "cmocka_cpp.h"

#include <string>

#include "flashstor/http/uri.h"

using namespace flashstor;
using namespace flashstor::http;

namespace {

void test_decode_plain_is_zero_copy(void**) {
  mem::Arena arena;
  std::string_view in = "/bucket/key.txt";
  Result<std::string_view> out = PercentDecode(in, arena);
  assert_true(out.has_value());
  assert_ptr_equal(out->data(), in.data());
  assert_int_equal(arena.bytes_used(), 0);
  out = PercentDecode("", arena);
  assert_true(out.has_value() && out->empty());
}

void test_decode_escapes(void**) {
  mem::Arena arena;
  assert_true(*PercentDecode("%41%62c", arena) == "Abc");
  assert_true(*PercentDecode("a%2fb%2Fc", arena) == "a/b/c");
  assert_true(*PercentDecode("%E2%82%AC", arena) == "\xe2\x82\xac");
  assert_true(*PercentDecode("%25", arena) == "%");
  assert_true(*PercentDecode("%2525", arena) == "%25");  // decoded once only
  Result<std::string_view> nul = PercentDecode("a%00b", arena);
  assert_true(nul.has_value());
  assert_int_equal(nul->size(), 3);
  assert_int_equal((*nul)[1], '\0');
  assert_true(*PercentDecode("a+b", arena) == "a+b");
  assert_true(*PercentDecode("a+b", arena, true) == "a b");
  assert_true(*PercentDecode("a%2Bb", arena, true) == "a+b");
}

void test_decode_malformed(void**) {
  mem::Arena arena;
  for (std::string_view bad : {"%", "%4", "a%", "%g0", "%0g", "%%41", "abc%2", "% 1"}) {
    Result<std::string_view> out = PercentDecode(bad, arena);
    assert_false(out.has_value());
    assert_int_equal(out.error().code(), Code::kInvalidArgument);
  }
  std::string huge(mem::Arena::kBlockSize + 1, '%');
  Result<std::string_view> out = PercentDecode(huge, arena);
  assert_false(out.has_value());
}

void test_parse_query(void**) {
  mem::Arena arena;
  auto params = ParseQuery("list-type=2&prefix=a%2Fb+c&uploads&delimiter=&=v", arena);
  assert_true(params.has_value());
  assert_int_equal(params->size(), 5);
  const QueryParam& p0 = (*params)[0];
  assert_true(p0.name == "list-type" && p0.value == "2" && p0.has_value);
  const QueryParam& p1 = (*params)[1];
  assert_true(p1.value == "a/b c");
  assert_true(p1.raw_value == "a%2Fb+c");
  const QueryParam& p2 = (*params)[2];
  assert_true(p2.name == "uploads" && p2.value.empty() && !p2.has_value);
  const QueryParam& p3 = (*params)[3];
  assert_true(p3.name == "delimiter" && p3.value.empty() && p3.has_value);
  assert_true((*params)[4].name.empty() && (*params)[4].value == "v");
  assert_ptr_equal(FindParam(*params, "uploads"), &p2);
  assert_ptr_equal(FindParam(*params, "prefix"), &p1);
  assert_null(FindParam(*params, "Prefix"));
  assert_null(FindParam(*params, "missing"));
}

void test_parse_query_edges(void**) {
  mem::Arena arena;
  auto empty = ParseQuery("", arena);
  assert_true(empty.has_value() && empty->empty());
  auto skips = ParseQuery("&a&&b=1&", arena);
  assert_int_equal(skips->size(), 2);
  assert_true((*skips)[1].name == "b");
  auto eq = ParseQuery("a=b=c", arena);
  assert_true((*eq)[0].value == "b=c");
  assert_false(ParseQuery("a=%zz", arena).has_value());
  assert_false(ParseQuery("%=1", arena).has_value());
  // Bounded count.
  assert_true(ParseQuery("a&b&c", arena, 3).has_value());
  auto too_many = ParseQuery("a&b&c&d", arena, 3);
  assert_false(too_many.has_value());
  assert_int_equal(too_many.error().code(), Code::kInvalidArgument);
  std::string many;
  for (int i = 0; i < 65; ++i) many += "k&";
  assert_false(ParseQuery(many, arena).has_value());  // default max 64
}

void test_uri_encode_vectors(void**) {
  assert_true(UriEncode("AZaz09-_.~", true) == "AZaz09-_.~");
  assert_true(UriEncode("a b", true) == "a%20b");
  assert_true(UriEncode("/bucket/my key", false) == "/bucket/my%20key");
  assert_true(UriEncode("/bucket/my key", true) == "%2Fbucket%2Fmy%20key");
  assert_true(UriEncode("\xc3\xa9", true) == "%C3%A9");  // uppercase hex, per byte
  assert_true(UriEncode("*+=&?%", true) == "%2A%2B%3D%26%3F%25");
  assert_true(UriEncode(std::string_view("\0\xff", 2), true) == "%00%FF");
  assert_true(UriEncode("", true).empty());
  // The appending form keeps what is already there.
  std::string out = "prefix=";
  UriEncode("a/b", true, out);
  assert_true(out == "prefix=a%2Fb");
  // SigV4 test-suite style key.
  assert_true(UriEncode("/example/photos/2024 (1).jpg", false) ==
              "/example/photos/2024%20%281%29.jpg");
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_decode_plain_is_zero_copy), cmocka_unit_test(test_decode_escapes),
      cmocka_unit_test(test_decode_malformed),          cmocka_unit_test(test_parse_query),
      cmocka_unit_test(test_parse_query_edges),         cmocka_unit_test(test_uri_encode_vectors),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
