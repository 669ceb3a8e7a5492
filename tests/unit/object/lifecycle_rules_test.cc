// Unit tests of lifecycle rules: AWS's documented examples parse and round-trip through the
// canonical XML; AWS's validation errors; filter matching (prefix, tags, sizes, And); expiry
// times with real days (next midnight UTC) and test days; upload abort times.
#include <string>

#include "flashstor/object/lifecycle_rules.h"

#include "cmocka_cpp.h"

using namespace flashstor;
using object::LifecycleConfig;
using object::ParseLifecycleXml;

namespace {

constexpr int64_t kSec = 1'000'000'000;

std::string Doc(const std::string& rules) {
  return "<LifecycleConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">" + rules +
         "</LifecycleConfiguration>";
}

Code ParseCode(const std::string& rules) {
  auto c = ParseLifecycleXml(Doc(rules));
  return c ? Code::kOk : c.error().code();
}

void test_aws_examples_round_trip(void**) {
  const std::string doc = Doc(
      "<Rule><ID>logs</ID><Filter><Prefix>logs/</Prefix></Filter><Status>Enabled</Status>"
      "<Expiration><Days>365</Days></Expiration></Rule>"
      "<Rule><ID>tagged</ID><Filter><And><Prefix>tax/</Prefix><Tag><Key>k1</Key><Value>v1</Value>"
      "</Tag><ObjectSizeGreaterThan>500</ObjectSizeGreaterThan></And></Filter>"
      "<Status>Disabled</Status><Expiration><Date>2030-01-01T00:00:00.000Z</Date></Expiration>"
      "<NoncurrentVersionExpiration><NoncurrentDays>30</NoncurrentDays>"
      "<NewerNoncurrentVersions>2</NewerNoncurrentVersions></NoncurrentVersionExpiration></Rule>"
      "<Rule><ID>mpu</ID><Prefix></Prefix><Status>Enabled</Status>"
      "<AbortIncompleteMultipartUpload><DaysAfterInitiation>7</DaysAfterInitiation>"
      "</AbortIncompleteMultipartUpload></Rule>");
  auto c = ParseLifecycleXml(doc);
  assert_true(c.has_value());
  assert_int_equal(c->rules.size(), 3);
  assert_int_equal(c->rules[0].expiration_days, 365);
  assert_true(c->rules[1].filter.tags.size() == 1 && c->rules[1].filter.prefix == "tax/");
  assert_int_equal(c->rules[1].filter.size_greater_than, 500);
  assert_false(c->rules[1].enabled);
  assert_true(c->rules[1].expiration_date_ns == 1893456000LL * kSec);
  assert_int_equal(c->rules[1].noncurrent_days, 30);
  assert_int_equal(c->rules[1].newer_noncurrent_versions, 2);
  assert_false(c->rules[2].filter_element);
  assert_int_equal(c->rules[2].abort_incomplete_days, 7);
  // Canonical form parses back to the same rules.
  std::string xml = object::LifecycleToXml(*c);
  auto again = ParseLifecycleXml(xml);
  assert_true(again.has_value());
  assert_true(object::LifecycleToXml(*again) == xml);
  assert_true(again->rules[1].filter.tags == c->rules[1].filter.tags);
}

void test_validation(void**) {
  const std::string exp = "<Expiration><Days>1</Days></Expiration>";
  const std::string f = "<Filter><Prefix>a</Prefix></Filter>";
  assert_true(ParseCode("<Rule>" + f + "<Status>Enabled</Status>" + exp + "</Rule>") == Code::kOk);
  // Status missing or wrong.
  assert_true(ParseCode("<Rule>" + f + exp + "</Rule>") == Code::kMalformedXml);
  assert_true(ParseCode("<Rule>" + f + "<Status>On</Status>" + exp + "</Rule>") ==
              Code::kMalformedXml);
  // Days not positive; a date not at midnight.
  assert_true(ParseCode("<Rule>" + f +
                        "<Status>Enabled</Status><Expiration><Days>0</Days>"
                        "</Expiration></Rule>") == Code::kInvalidArgument);
  assert_true(ParseCode("<Rule>" + f +
                        "<Status>Enabled</Status><Expiration><Days>-3</Days>"
                        "</Expiration></Rule>") == Code::kInvalidArgument);
  assert_true(ParseCode("<Rule>" + f +
                        "<Status>Enabled</Status><Expiration><Date>2030-01-01T"
                        "10:00:00Z</Date></Expiration></Rule>") == Code::kInvalidArgument);
  // Days and Date together; no action at all.
  assert_true(ParseCode("<Rule>" + f +
                        "<Status>Enabled</Status><Expiration><Days>1</Days><Date>"
                        "2030-01-01</Date></Expiration></Rule>") == Code::kMalformedXml);
  assert_true(ParseCode("<Rule>" + f + "<Status>Enabled</Status></Rule>") == Code::kInvalidRequest);
  // Filter and Prefix both, or neither; two predicates without And.
  assert_true(ParseCode("<Rule><Prefix>a</Prefix>" + f + "<Status>Enabled</Status>" + exp +
                        "</Rule>") == Code::kMalformedXml);
  assert_true(ParseCode("<Rule><Status>Enabled</Status>" + exp + "</Rule>") == Code::kMalformedXml);
  assert_true(ParseCode("<Rule><Filter><Prefix>a</Prefix><ObjectSizeLessThan>5"
                        "</ObjectSizeLessThan></Filter><Status>Enabled</Status>" +
                        exp + "</Rule>") == Code::kMalformedXml);
  // Duplicate ids; an id over 255 characters.
  const std::string r = f + "<Status>Enabled</Status>" + exp;
  assert_true(ParseCode("<Rule><ID>x</ID>" + r + "</Rule><Rule><ID>x</ID>" + r + "</Rule>") ==
              Code::kInvalidArgument);
  assert_true(ParseCode("<Rule><ID>" + std::string(256, 'i') + "</ID>" + r + "</Rule>") ==
              Code::kInvalidArgument);
  // Tags with an upload abort; transitions (one storage class) are not implemented.
  assert_true(ParseCode("<Rule><Filter><Tag><Key>k</Key><Value>v</Value></Tag></Filter><Status>"
                        "Enabled</Status><AbortIncompleteMultipartUpload><DaysAfterInitiation>1"
                        "</DaysAfterInitiation></AbortIncompleteMultipartUpload></Rule>") ==
              Code::kInvalidRequest);
  assert_true(ParseCode("<Rule>" + f +
                        "<Status>Enabled</Status><Transition><Days>30</Days>"
                        "<StorageClass>GLACIER</StorageClass></Transition></Rule>") ==
              Code::kNotImplemented);
  assert_true(ParseLifecycleXml("<LifecycleConfiguration/>").error() == Code::kMalformedXml);
  assert_true(ParseLifecycleXml("not xml").error() == Code::kMalformedXml);
  assert_true(ParseLifecycleXml("<Other/>").error() == Code::kMalformedXml);
}

void test_matching_and_expiry(void**) {
  auto c = ParseLifecycleXml(
      Doc("<Rule><ID>small</ID><Filter><And><Prefix>logs/</Prefix><ObjectSizeLessThan>100"
          "</ObjectSizeLessThan><Tag><Key>keep</Key><Value>no</Value></Tag></And></Filter>"
          "<Status>Enabled</Status><Expiration><Days>2</Days></Expiration></Rule>"
          "<Rule><ID>all-logs</ID><Filter><Prefix>logs/</Prefix></Filter>"
          "<Status>Enabled</Status><Expiration><Days>10</Days></Expiration></Rule>"
          "<Rule><ID>off</ID><Filter><Prefix></Prefix></Filter>"
          "<Status>Disabled</Status><Expiration><Days>1</Days></Expiration></Rule>"));
  assert_true(c.has_value());
  object::TagList tags{{"keep", "no"}};
  const int64_t t0 = 1'700'000'123LL * kSec;  // 2023-11-14T22:15:23Z
  object::LifecycleObject small{"logs/a", 50, t0, &tags};
  // Test days: exact; the earliest matching rule wins.
  auto e = object::CurrentVersionExpiry(*c, small, 5 * kSec);
  assert_true(e.has_value() && e->rule_id == "small" && e->at_ns == t0 + 10 * kSec);
  // Too large, or without the tag: only the 10-day rule.
  object::LifecycleObject big{"logs/a", 500, t0, &tags};
  e = object::CurrentVersionExpiry(*c, big, 5 * kSec);
  assert_true(e.has_value() && e->rule_id == "all-logs" && e->at_ns == t0 + 50 * kSec);
  object::LifecycleObject untagged{"logs/a", 50, t0, nullptr};
  assert_true(object::CurrentVersionExpiry(*c, untagged, 5 * kSec)->rule_id == "all-logs");
  // Other prefixes: the disabled rule never acts.
  object::LifecycleObject other{"data/a", 50, t0, &tags};
  assert_false(object::CurrentVersionExpiry(*c, other, 5 * kSec).has_value());
  // Real days round up to the next midnight UTC (AWS).
  e = object::CurrentVersionExpiry(*c, big, object::kNsPerDay);
  assert_true(e.has_value());
  assert_true(e->at_ns == 1'700'870'400LL * kSec);  // 2023-11-25T00:00:00Z
  assert_true(object::ExpirationHeader(*e) ==
              "expiry-date=\"Sat, 25 Nov 2023 00:00:00 GMT\", rule-id=\"all-logs\"");
}

void test_upload_abort_time(void**) {
  auto c = ParseLifecycleXml(
      Doc("<Rule><Filter><Prefix>tmp/</Prefix></Filter><Status>Enabled</Status>"
          "<AbortIncompleteMultipartUpload><DaysAfterInitiation>3</DaysAfterInitiation>"
          "</AbortIncompleteMultipartUpload></Rule>"));
  assert_true(c.has_value());
  auto at = object::UploadAbortTime(*c, "tmp/x", 100 * kSec, kSec);
  assert_true(at.has_value() && *at == 103 * kSec);
  assert_false(object::UploadAbortTime(*c, "keep/x", 100 * kSec, kSec).has_value());
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_aws_examples_round_trip),
      cmocka_unit_test(test_validation),
      cmocka_unit_test(test_matching_and_expiry),
      cmocka_unit_test(test_upload_abort_time),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
