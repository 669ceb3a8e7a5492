// Unit tests of storage key escaping: every dangerous component, length limits, NUL, unicode,
// round trips, and that no key can map outside its volume directory.
#include <random>
#include <string>

#include "flashstor/storage/key_path.h"

#include "cmocka_cpp.h"

using flashstor::Code;
using namespace flashstor::storage;

namespace {

std::string Path(std::string_view key) {
  auto p = KeyToPath(key);
  assert_true(p.has_value());
  return *p;
}

void AssertRoundTrip(std::string_view key) {
  std::string p = Path(key);
  auto back = PathToKey(p);
  assert_true(back.has_value());
  assert_string_equal(back->c_str(), std::string(key).c_str());
}

// No component of the path may be empty, "." or ".." and the path is relative.
void AssertContained(const std::string& path) {
  assert_true(path.empty() || path.front() != '/');
  size_t start = 0;
  while (start <= path.size() && !path.empty()) {
    size_t slash = path.find('/', start);
    if (slash == std::string::npos) slash = path.size();
    std::string c = path.substr(start, slash - start);
    assert_false(c.empty());
    assert_true(c != "." && c != "..");
    assert_true(c.size() <= kMaxComponentBytes);
    start = slash + 1;
  }
}

void test_plain_keys_unchanged(void**) {
  assert_string_equal(Path("a").c_str(), "a");
  assert_string_equal(Path("photos/2024/a.jpg").c_str(), "photos/2024/a.jpg");
  assert_string_equal(Path("").c_str(), "");
}

void test_dangerous_components_escaped(void**) {
  assert_string_equal(Path("..").c_str(), "%e2e2e");
  assert_string_equal(Path(".").c_str(), "%e2e");
  assert_string_equal(Path("a/../b").c_str(), "a/%e2e2e/b");
  assert_string_equal(Path("//").c_str(), "%e/%e/%e");
  assert_string_equal(Path("a/").c_str(), "a/%e");
  assert_string_equal(Path("/a").c_str(), "%e/a");
  assert_string_equal(Path("%").c_str(), "%e25");
  assert_string_equal(Path("%m.json").c_str(), "%e256d2e6a736f6e");
  assert_string_equal(Path("x/%d.1").c_str(), "x/%e25642e31");
  assert_string_equal(Path("a%b").c_str(), "a%b");  // '%' not leading: kept
  for (const char* k : {"..", "a/../b", "//", "a/", "%", "%e41", "./.", "a//b", "../../etc"}) {
    AssertRoundTrip(k);
    AssertContained(Path(k));
  }
}

void test_unicode_kept(void**) {
  std::string k = "f\xC3\xA9licit\xC3\xA9/\xE6\x97\xA5\xE6\x9C\xAC/\xF0\x9F\x98\x80";
  assert_string_equal(Path(k).c_str(), k.c_str());
  AssertRoundTrip(k);
}

void test_component_limits(void**) {
  std::string c255(255, 'x');
  assert_true(KeyToPath(c255).has_value());
  assert_true(KeyToPath("a/" + c255 + "/b").has_value());
  std::string c256(256, 'x');
  assert_int_equal(KeyToPath(c256).error().code(), Code::kKeyTooLong);
  assert_int_equal(ValidateObjectKey("a/" + c256).code(), Code::kKeyTooLong);
  // Escaped components double: 126 bytes after '%' fit (2 + 2*126 = 254), 127 do not.
  std::string esc126 = "%" + std::string(125, 'y');
  assert_true(KeyToPath(esc126).has_value());
  std::string esc127 = "%" + std::string(126, 'y');
  assert_int_equal(KeyToPath(esc127).error().code(), Code::kKeyTooLong);
}

void test_key_length_limits(void**) {
  std::string k1024;
  while (k1024.size() < 1024) k1024 += "abcdefghi/";
  k1024.resize(1024);
  assert_true(ValidateObjectKey(k1024).ok());
  AssertRoundTrip(k1024);
  assert_int_equal(ValidateObjectKey(k1024 + "x").code(), Code::kKeyTooLong);
  assert_int_equal(ValidateObjectKey("").code(), Code::kInvalidObjectName);
  assert_int_equal(ValidateObjectKey(std::string("a\0b", 3)).code(), Code::kInvalidObjectName);
}

void test_decode_rejects_internal_and_malformed(void**) {
  assert_false(DecodeComponent("%m.json").has_value());
  assert_false(DecodeComponent("%d.1234").has_value());
  assert_false(DecodeComponent("%e4").has_value());   // odd hex
  assert_false(DecodeComponent("%eZZ").has_value());  // not hex
  assert_false(DecodeComponent("%e41").has_value());  // "A" needs no escape: not canonical
  assert_false(DecodeComponent("%e2E").has_value());  // uppercase hex is not canonical
  assert_true(DecodeComponent("%e").has_value());     // empty component
  assert_true(IsInternalName("%m.json"));
  assert_false(IsInternalName("%e25"));
  assert_false(IsInternalName("plain"));
  assert_false(PathToKey("a/%m.json").has_value());
}

void test_random_keys_stay_inside(void**) {
  std::mt19937 rng(42);
  const char alphabet[] = {'a', '.', '/', '%', 'e', '2', '\xC3', '\xA9', 'Z'};
  for (int i = 0; i < 5000; ++i) {
    std::string key;
    size_t len = 1 + rng() % 24;
    for (size_t j = 0; j < len; ++j) key.push_back(alphabet[rng() % sizeof(alphabet)]);
    auto p = KeyToPath(key);
    assert_true(p.has_value());
    AssertContained(*p);
    auto back = PathToKey(*p);
    assert_true(back.has_value());
    assert_true(*back == key);
  }
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_plain_keys_unchanged),
      cmocka_unit_test(test_dangerous_components_escaped),
      cmocka_unit_test(test_unicode_kept),
      cmocka_unit_test(test_component_limits),
      cmocka_unit_test(test_key_length_limits),
      cmocka_unit_test(test_decode_rejects_internal_and_malformed),
      cmocka_unit_test(test_random_keys_stay_inside),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
