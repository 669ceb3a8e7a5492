// Header semantics tests: Range forms, conditional precedence, dates, Content-MD5, metadata.
#include <cstdio>
#include <ctime>
#include <random>
#include <string>
#include <vector>

#include "flashstor/common/utc_time.h"
#include "flashstor/s3/headers.h"

#include "cmocka_cpp.h"

using namespace flashstor;
using namespace flashstor::s3;
using Kind = ByteRange::Kind;

namespace {

void ExpectRange(std::string_view h, uint64_t size, Kind kind, uint64_t off = 0, uint64_t len = 0) {
  ByteRange r = ParseRange(h, size);
  assert_int_equal(static_cast<int>(r.kind), static_cast<int>(kind));
  if (kind == Kind::kSatisfiable) {
    assert_int_equal(r.offset, off);
    assert_int_equal(r.length, len);
  }
}

void test_range_forms(void** state) {
  (void)state;
  ExpectRange("bytes=0-9", 100, Kind::kSatisfiable, 0, 10);
  ExpectRange("bytes=10-", 100, Kind::kSatisfiable, 10, 90);
  ExpectRange("bytes=-10", 100, Kind::kSatisfiable, 90, 10);
  ExpectRange("bytes=-500", 100, Kind::kSatisfiable, 0, 100);    // suffix longer than object
  ExpectRange("bytes=90-200", 100, Kind::kSatisfiable, 90, 10);  // end clamped
  ExpectRange("bytes=99-99", 100, Kind::kSatisfiable, 99, 1);
  ExpectRange("BYTES=0-0", 100, Kind::kSatisfiable, 0, 1);
  ExpectRange("bytes=100-", 100, Kind::kUnsatisfiable);
  ExpectRange("bytes=100-200", 100, Kind::kUnsatisfiable);
  ExpectRange("bytes=-0", 100, Kind::kUnsatisfiable);
  ExpectRange("bytes=0-", 0, Kind::kUnsatisfiable);
  ExpectRange("bytes=-5", 0, Kind::kUnsatisfiable);
  // Ignored: absent, malformed, multi-range.
  ExpectRange("", 100, Kind::kNone);
  ExpectRange("bytes=0-1,5-6", 100, Kind::kNone);
  ExpectRange("bytes=5-3", 100, Kind::kNone);
  ExpectRange("bytes=a-b", 100, Kind::kNone);
  ExpectRange("bytes=-", 100, Kind::kNone);
  ExpectRange("bytes=1", 100, Kind::kNone);
  ExpectRange("items=0-1", 100, Kind::kNone);
  ExpectRange("bytes=+1-2", 100, Kind::kNone);
  ExpectRange("bytes=99999999999999999999-", 100, Kind::kNone);
}

void test_content_range(void** state) {
  (void)state;
  assert_string_equal(ContentRange({Kind::kSatisfiable, 10, 5}, 100).c_str(), "bytes 10-14/100");
  assert_string_equal(ContentRange({Kind::kUnsatisfiable, 0, 0}, 100).c_str(), "bytes */100");
}

void test_copy_source_range(void** state) {
  (void)state;
  Result<ByteRange> r = ParseCopySourceRange("bytes=0-9", 100);
  assert_true(r.has_value());
  assert_int_equal(r->offset, 0);
  assert_int_equal(r->length, 10);
  assert_false(ParseCopySourceRange("bytes=0-100", 100).has_value());
  assert_false(ParseCopySourceRange("bytes=10-", 100).has_value());
  assert_false(ParseCopySourceRange("bytes=-10", 100).has_value());
  assert_false(ParseCopySourceRange("bytes=5-4", 100).has_value());
  assert_false(ParseCopySourceRange("0-4", 100).has_value());
  assert_int_equal(static_cast<int>(ParseCopySourceRange("x", 1).error().code()),
                   static_cast<int>(Code::kInvalidArgument));
}

constexpr int64_t kSec = 1000000000;
constexpr int64_t kMod = 784111777LL * kSec;  // Sun, 06 Nov 1994 08:49:37 GMT
constexpr const char* kAtMod = "Sun, 06 Nov 1994 08:49:37 GMT";
constexpr const char* kBefore = "Sun, 06 Nov 1994 08:49:36 GMT";
constexpr const char* kAfter = "Sun, 06 Nov 1994 08:49:38 GMT";

Code Eval(Conditions c, bool copy = false) {
  return EvaluateConditions(c, "abc", kMod, copy);
}

void test_conditionals(void** state) {
  (void)state;
  assert_int_equal(static_cast<int>(Eval({})), static_cast<int>(Code::kOk));
  // If-Match
  assert_true(Eval({.if_match = "\"abc\""}) == Code::kOk);
  assert_true(Eval({.if_match = "*"}) == Code::kOk);
  assert_true(Eval({.if_match = "\"x\", \"abc\""}) == Code::kOk);
  assert_true(Eval({.if_match = "\"x\""}) == Code::kPreconditionFailed);
  // If-None-Match
  assert_true(Eval({.if_none_match = "\"abc\""}) == Code::kNotModified);
  assert_true(Eval({.if_none_match = "W/\"abc\""}) == Code::kNotModified);
  assert_true(Eval({.if_none_match = "\"x\""}) == Code::kOk);
  // Dates (one-second resolution; equal time is "not modified since").
  assert_true(Eval({.if_modified_since = kAtMod}) == Code::kNotModified);
  assert_true(Eval({.if_modified_since = kBefore}) == Code::kOk);
  assert_true(Eval({.if_unmodified_since = kBefore}) == Code::kPreconditionFailed);
  assert_true(Eval({.if_unmodified_since = kAtMod}) == Code::kOk);
  assert_true(Eval({.if_modified_since = "garbage"}) == Code::kOk);
  // AWS precedence: If-Match true + If-Unmodified-Since false -> 200.
  assert_true(Eval({.if_match = "\"abc\"", .if_unmodified_since = kBefore}) == Code::kOk);
  // If-None-Match false + If-Modified-Since true -> 304.
  assert_true(Eval({.if_none_match = "\"abc\"", .if_modified_since = kBefore}) ==
              Code::kNotModified);
  // If-None-Match true (no match) beats If-Modified-Since false -> 200.
  assert_true(Eval({.if_none_match = "\"x\"", .if_modified_since = kAfter}) == Code::kOk);
  // If-Match failing wins over everything.
  assert_true(Eval({.if_match = "\"x\"", .if_none_match = "\"abc\""}) == Code::kPreconditionFailed);
  // Copy-source conditions: every failure is 412.
  assert_true(Eval({.if_none_match = "\"abc\""}, true) == Code::kPreconditionFailed);
  assert_true(Eval({.if_modified_since = kAfter}, true) == Code::kPreconditionFailed);
  assert_true(Eval({.if_match = "\"abc\"", .if_unmodified_since = kBefore}, true) == Code::kOk);
}

void test_dates(void** state) {
  (void)state;
  assert_string_equal(FormatHttpDate(kMod).c_str(), kAtMod);
  assert_int_equal(*ParseHttpDate(kAtMod), kMod / kSec);
  assert_int_equal(*ParseHttpDate("Sunday, 06-Nov-94 08:49:37 GMT"), kMod / kSec);
  assert_int_equal(*ParseHttpDate("Sun Nov  6 08:49:37 1994"), kMod / kSec);
  assert_false(ParseHttpDate("").has_value());
  assert_false(ParseHttpDate("yesterday").has_value());
  assert_false(ParseHttpDate("Sun, 06 Nov 1994 08:49:37 GMT trailing").has_value());
  assert_string_equal(FormatIso8601(kMod + 123 * 1000000).c_str(), "1994-11-06T08:49:37.123Z");
  // Before 1970 a time rounds down, to the calendar's earlier millisecond and second.
  assert_string_equal(FormatIso8601(-1).c_str(), "1969-12-31T23:59:59.999Z");
  assert_string_equal(FormatIso8601(-kSec).c_str(), "1969-12-31T23:59:59.000Z");
  assert_string_equal(flashstor::FormatIso8601Ms(-1001).c_str(), "1969-12-31T23:59:58.999Z");
  // Whole seconds (IAM's and STS's dates).
  assert_string_equal(flashstor::FormatIso8601Seconds(kMod / kSec).c_str(), "1994-11-06T08:49:37Z");
  // The calendar arithmetic (common/utc_time.h) agrees with gmtime_r for stored times: from
  // 1970 to the end of what nanoseconds since 1970 reach in 64 bits (2262), day boundaries
  // included (a listing's LastModified). Before 1970: response_test's test_http_date.
  std::mt19937_64 rng(20261205);
  std::uniform_int_distribution<int64_t> any(0, 9'000'000'000);
  for (int i = 0; i < 5000; ++i) {
    const int64_t secs = i < 1000 ? i * 86400 + (i % 3) : any(rng);
    const time_t tt = static_cast<time_t>(secs);
    tm g{};
    assert_non_null(gmtime_r(&tt, &g));
    char want[64];
    snprintf(want, sizeof want, "%04d-%02d-%02dT%02d:%02d:%02d.250Z", g.tm_year + 1900,
             g.tm_mon + 1, g.tm_mday, g.tm_hour, g.tm_min, g.tm_sec);
    assert_string_equal(FormatIso8601(secs * kSec + 250'000'000).c_str(), want);
  }
}

void test_content_md5(void** state) {
  (void)state;
  auto none = ParseContentMd5("");
  assert_true(none.has_value() && !none->has_value());
  // MD5("") = d41d8cd98f00b204e9800998ecf8427e
  auto ok = ParseContentMd5("1B2M2Y8AsgTpgAmY7PhCfg==");
  assert_true(ok.has_value() && ok->has_value());
  assert_int_equal((**ok)[0], 0xd4);
  assert_int_equal((**ok)[15], 0x7e);
  assert_false(ParseContentMd5("1B2M2Y8AsgTpgAmY7PhCfg").has_value());
  assert_false(ParseContentMd5("!!!!!!!!!!!!!!!!!!!!!!==").has_value());
  assert_false(ParseContentMd5("AAAA").has_value());
  assert_true(ParseContentMd5("not-base64").error() == Code::kInvalidDigest);
}

void test_metadata(void** state) {
  (void)state;
  std::vector<http::Header> headers = {{"X-Amz-Meta-Color", "blue"},
                                       {"Content-Type", "text/plain"},
                                       {"Content-Encoding", "aws-chunked, gzip"},
                                       {"Cache-Control", "no-cache"},
                                       {"Expires", "Thu, 01 Dec 1994 16:00:00 GMT"},
                                       {"Authorization", "secret"},
                                       {"Content-Disposition", "inline"},
                                       {"x-amz-storage-class", "STANDARD"}};
  http::Request req;
  req.headers = headers;
  object::PutOptions opts;
  assert_true(CollectPutOptions(req, opts).ok());
  assert_string_equal(opts.content_type.c_str(), "text/plain");
  auto find = [&](std::string_view n) -> std::string {
    for (auto& [k, v] : opts.metadata)
      if (k == n) return v;
    return "<none>";
  };
  assert_string_equal(find("x-amz-meta-color").c_str(), "blue");
  assert_string_equal(find("content-encoding").c_str(), "gzip");
  assert_string_equal(find("cache-control").c_str(), "no-cache");
  assert_string_equal(find("content-disposition").c_str(), "inline");
  assert_string_equal(find("authorization").c_str(), "<none>");
  assert_string_equal(find("content-type").c_str(), "<none>");
  // Stored byte for byte; only the aws-chunked items go.
  for (auto [sent, stored] : std::initializer_list<std::pair<const char*, const char*>>{
           {"gzip, br", "gzip, br"},
           {"gzip,br", "gzip,br"},
           {"GZip", "GZip"},
           {"gzip,aws-chunked", "gzip"},
           {"gzip, aws-chunked, br", "gzip, br"},
           {"AWS-CHUNKED , x-custom", "x-custom"},
           {"aws-chunked", ""}}) {
    assert_string_equal(StoredContentEncoding(sent).c_str(), stored);
  }
  std::vector<http::Header> spaced = {{"Content-Encoding", "gzip, deflate"}};
  req.headers = spaced;
  object::PutOptions o1;
  assert_true(CollectPutOptions(req, o1).ok());
  assert_true(o1.metadata.size() == 1 && o1.metadata[0].second == "gzip, deflate");

  // 2 KiB of user metadata is the limit (names without the prefix + values).
  std::string big(2048 - 1, 'v');
  std::vector<http::Header> at_limit = {{"x-amz-meta-a", big}};
  req.headers = at_limit;
  object::PutOptions o2;
  assert_true(CollectPutOptions(req, o2).ok());
  std::string over(2048, 'v');
  std::vector<http::Header> too_big = {{"x-amz-meta-a", over}};
  req.headers = too_big;
  object::PutOptions o3;
  assert_true(CollectPutOptions(req, o3).id() == ErrorId::kMetadataTooLarge);
  std::vector<http::Header> bad_class = {{"x-amz-storage-class", "GLACIER"}};
  req.headers = bad_class;
  object::PutOptions o4;
  assert_true(CollectPutOptions(req, o4).id() == ErrorId::kInvalidStorageClass);
}

void test_etag_and_decimal(void** state) {
  (void)state;
  assert_true(UnquoteEtag("\"abc\"") == "abc");
  assert_true(UnquoteEtag("W/\"abc\"") == "abc");
  assert_true(UnquoteEtag("abc") == "abc");
  assert_true(QuoteEtag("abc") == "\"abc\"");
  assert_false(EtagListMatches("", "abc"));
  assert_true(*ParseDecimal("1000", 1000) == 1000);
  assert_false(ParseDecimal("1001", 1000).has_value());
  assert_false(ParseDecimal("-1", 1000).has_value());
  assert_false(ParseDecimal("", 1000).has_value());
  assert_false(ParseDecimal("1e3", 1000).has_value());
  assert_false(ParseDecimal(" 1", 1000).has_value());
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_range_forms),
      cmocka_unit_test(test_content_range),
      cmocka_unit_test(test_copy_source_range),
      cmocka_unit_test(test_conditionals),
      cmocka_unit_test(test_dates),
      cmocka_unit_test(test_content_md5),
      cmocka_unit_test(test_metadata),
      cmocka_unit_test(test_etag_and_decimal),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
