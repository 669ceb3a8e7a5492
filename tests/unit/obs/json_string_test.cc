// Unit tests for obs::AppendJsonString: escaping and UTF-8 validation, checked with cjson.
#include <cjson/cJSON.h>

#include <string>

#include "flashstor/obs/json_string.h"

// cmocka needs these C headers first, has no extern "C" of its own, and comes after the C++
// headers (its macros clash with <ios>).
#include "cmocka_cpp.h"

using flashstor::obs::AppendJsonString;
using flashstor::obs::Utf8SequenceLength;

static std::string Json(std::string_view s) {
  std::string out;
  AppendJsonString(out, s);
  return out;
}

// Wraps the escaped string in an array, parses it with cjson and returns the decoded string.
static std::string RoundTrip(std::string_view s) {
  const std::string doc = "[" + Json(s) + "]";
  cJSON* root = cJSON_ParseWithLength(doc.data(), doc.size());
  assert_non_null(root);
  const cJSON* item = cJSON_GetArrayItem(root, 0);
  assert_true(cJSON_IsString(item));
  std::string decoded = item->valuestring;
  cJSON_Delete(root);
  return decoded;
}

static void test_plain_and_escapes(void**) {
  assert_string_equal(Json("abc").c_str(), "\"abc\"");
  assert_string_equal(Json("").c_str(), "\"\"");
  assert_string_equal(Json("a\"b\\c").c_str(), "\"a\\\"b\\\\c\"");
  assert_string_equal(Json("\n\r\t\b\f").c_str(), "\"\\n\\r\\t\\b\\f\"");
  assert_string_equal(Json(std::string_view("\x01\x1f\x7f", 3)).c_str(),
                      "\"\\u0001\\u001f\\u007f\"");
  assert_string_equal(RoundTrip("line1\nline2 \"q\" \\").c_str(), "line1\nline2 \"q\" \\");
}

static void test_valid_utf8_passes_through(void**) {
  const std::string s = "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80";  // é € 😀
  assert_string_equal(Json(s).c_str(), ("\"" + s + "\"").c_str());
  assert_string_equal(RoundTrip(s).c_str(), s.c_str());
}

static void test_invalid_utf8_replaced(void**) {
  // stray continuation, truncated sequence, overlong '/', surrogate, > U+10FFFF, 0xFF
  assert_string_equal(Json("\x80").c_str(), "\"\\ufffd\"");
  assert_string_equal(Json("a\xc3").c_str(), "\"a\\ufffd\"");
  assert_string_equal(Json("\xc0\xaf").c_str(), "\"\\ufffd\\ufffd\"");
  assert_string_equal(Json("\xed\xa0\x80").c_str(), "\"\\ufffd\\ufffd\\ufffd\"");
  assert_string_equal(Json("\xf4\x90\x80\x80").c_str(), "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");
  assert_string_equal(Json("\xff").c_str(), "\"\\ufffd\"");
  assert_int_equal(Utf8SequenceLength("\xe0\x80\x80"), 0);  // overlong 3-byte
  assert_int_equal(Utf8SequenceLength("\xe2\x82\xac"), 3);
  assert_int_equal(Utf8SequenceLength("\xf0\x9f\x98\x80"), 4);
}

static void test_every_byte_value_parses(void**) {
  std::string all;
  // NUL is left out only because cjson hands back a C string; it is escaped like other controls.
  for (int i = 1; i < 256; ++i) all.push_back(static_cast<char>(i));
  all += all;  // and 0xFF followed by 0x01 across the boundary
  const std::string decoded = RoundTrip(all);
  // ASCII survives exactly; each of the 128 high bytes (all invalid alone or in this order)
  // becomes U+FFFD (3 bytes of UTF-8).
  assert_int_equal(decoded.size(), 2 * (127 + 128 * 3));
  assert_int_equal(decoded[0], 1);
  assert_int_equal(decoded[126], 127);
  assert_memory_equal(decoded.data() + 127, "\xef\xbf\xbd", 3);
}

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_plain_and_escapes),
      cmocka_unit_test(test_valid_utf8_passes_through),
      cmocka_unit_test(test_invalid_utf8_replaced),
      cmocka_unit_test(test_every_byte_value_parses),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
