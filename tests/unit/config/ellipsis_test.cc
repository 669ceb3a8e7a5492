// Unit tests for ExpandEllipsis: plain, padded, multi-range, bounds and malformed patterns.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cstring>
#include <string>
#include <vector>

#include "flashstor/config/ellipsis.h"

#include "cmocka_cpp.h"

using flashstor::config::ExpandEllipsis;
using flashstor::config::HasEllipsis;

namespace {

std::vector<std::string> Expand(const char* p) {
  auto r = ExpandEllipsis(p);
  if (!r) {
    print_error("unexpected error for %s: %s\n", p, r.error().c_str());
    fail();
  }
  return *r;
}

void ExpectError(const char* p, const char* needle) {
  auto r = ExpandEllipsis(p);
  if (r) {
    print_error("pattern %s expanded but should fail\n", p);
    fail();
  }
  if (r.error().find(needle) == std::string::npos) {
    print_error("pattern %s: error \"%s\" lacks \"%s\"\n", p, r.error().c_str(), needle);
    fail();
  }
}

void test_no_braces(void**) {
  auto v = Expand("/data/disk");
  assert_int_equal(v.size(), 1);
  assert_string_equal(v[0].c_str(), "/data/disk");
  assert_false(HasEllipsis("/data/disk"));
  assert_true(HasEllipsis("/d{1...2}"));
}

void test_simple_range(void**) {
  auto v = Expand("/data{1...4}");
  assert_int_equal(v.size(), 4);
  assert_string_equal(v[0].c_str(), "/data1");
  assert_string_equal(v[3].c_str(), "/data4");
}

void test_single_value_range(void**) {
  auto v = Expand("/d{7...7}/x");
  assert_int_equal(v.size(), 1);
  assert_string_equal(v[0].c_str(), "/d7/x");
}

void test_zero_padded(void**) {
  auto v = Expand("/disk{01...16}");
  assert_int_equal(v.size(), 16);
  assert_string_equal(v[0].c_str(), "/disk01");
  assert_string_equal(v[8].c_str(), "/disk09");
  assert_string_equal(v[9].c_str(), "/disk10");
  assert_string_equal(v[15].c_str(), "/disk16");
  auto w = Expand("/d{001...3}");
  assert_string_equal(w[2].c_str(), "/d003");
}

void test_product_order(void**) {
  auto v = Expand("http://node{1...2}:9000/d{1...3}");
  assert_int_equal(v.size(), 6);
  assert_string_equal(v[0].c_str(), "http://node1:9000/d1");
  assert_string_equal(v[1].c_str(), "http://node1:9000/d2");
  assert_string_equal(v[3].c_str(), "http://node2:9000/d1");
  assert_string_equal(v[5].c_str(), "http://node2:9000/d3");
}

void test_malformed(void**) {
  ExpectError("/d{1...}", "empty");
  ExpectError("/d{...4}", "empty");
  ExpectError("/d{1..4}", "not an ellipsis");
  ExpectError("/d{a...f}", "not a decimal");
  ExpectError("/d{4...1}", "descending");
  ExpectError("/d{1...4", "unbalanced '{'");
  ExpectError("/d1...4}", "unbalanced '}'");
  ExpectError("/d{{1...4}}", "nested");
  ExpectError("/d{}", "not an ellipsis");
  ExpectError("/d{-1...4}", "not a decimal");
  ExpectError("/d{1...12345678901}", "too long");
}

void test_bound_on_count(void**) {
  auto r = ExpandEllipsis("/d{1...100}/e{1...100}", 4096);
  assert_false(r.has_value());
  assert_non_null(strstr(r.error().c_str(), "more than 4096"));
  auto ok = ExpandEllipsis("/d{1...64}/e{1...64}", 4096);
  assert_true(ok.has_value());
  assert_int_equal(ok->size(), 4096);
  // Huge ranges must be refused before any allocation, without overflow.
  auto huge = ExpandEllipsis("/{0...999999999}{0...999999999}{0...999999999}", SIZE_MAX);
  assert_false(huge.has_value());
  auto capped = ExpandEllipsis("/{0...999999}{0...9}", SIZE_MAX);  // 10^7 > the 2^20 cap
  assert_false(capped.has_value());
}

}  // namespace

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_no_braces),          cmocka_unit_test(test_simple_range),
      cmocka_unit_test(test_single_value_range), cmocka_unit_test(test_zero_padded),
      cmocka_unit_test(test_product_order),      cmocka_unit_test(test_malformed),
      cmocka_unit_test(test_bound_on_count),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
