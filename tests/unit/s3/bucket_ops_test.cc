// ListBuckets through S3Handler and the fake object layer: max-buckets pages with opaque
// continuation tokens, prefix filtering and echo, bucket-region, and AWS's errors.
#include <pugixml.hpp>

#include <string>
#include <vector>

#include "flashstor/http/uri.h"
#include "s3_test_harness.h"

#include "cmocka_cpp.h"

using namespace flashstor;
using namespace flashstor::s3;
using namespace flashstor::s3::testing;

namespace {

struct Page {
  std::vector<std::string> names;
  std::string token;  // empty when absent
  bool has_token = false;
  bool has_prefix = false;
  std::string prefix;
  std::string region;  // BucketRegion of the first bucket
};

Page ListPage(Fixture& f, const std::string& query) {
  TestResponse r = Do(f, "GET", "/", query);
  assert_int_equal(r.status, 200);
  pugi::xml_document doc;
  assert_true(static_cast<bool>(doc.load_string(r.body.c_str())));
  pugi::xml_node root = doc.child("ListAllMyBucketsResult");
  assert_true(static_cast<bool>(root));
  Page p;
  for (pugi::xml_node b : root.child("Buckets").children("Bucket")) {
    p.names.emplace_back(b.child("Name").text().get());
    if (p.region.empty()) p.region = b.child("BucketRegion").text().get();
  }
  p.has_token = static_cast<bool>(root.child("ContinuationToken"));
  p.token = root.child("ContinuationToken").text().get();
  p.has_prefix = static_cast<bool>(root.child("Prefix"));
  p.prefix = root.child("Prefix").text().get();
  return p;
}

void MakeBuckets(Fixture& f) {
  for (const char* b : {"alpha", "beta-1", "beta-2", "beta-3", "gamma"}) {
    assert_int_equal(Do(f, "PUT", std::string("/") + b).status, 200);
  }
}

void test_unpaginated_lists_all(void** state) {
  Fixture& f = *static_cast<Fixture*>(*state);
  MakeBuckets(f);
  Page p = ListPage(f, "");
  assert_int_equal(p.names.size(), 5);
  assert_false(p.has_token);
  assert_false(p.has_prefix);
  assert_string_equal(p.region.c_str(), "us-east-1");
}

void test_max_buckets_pages(void** state) {
  Fixture& f = *static_cast<Fixture*>(*state);
  MakeBuckets(f);
  std::vector<std::string> seen;
  std::string query = "max-buckets=2";
  for (int pages = 0; pages < 10; ++pages) {
    Page p = ListPage(f, query);
    assert_true(p.names.size() <= 2);
    seen.insert(seen.end(), p.names.begin(), p.names.end());
    if (!p.has_token) break;
    // Opaque: not a bucket name.
    assert_true(p.token != p.names.back());
    query = "max-buckets=2&continuation-token=" + http::UriEncode(p.token, true);
  }
  std::vector<std::string> want = {"alpha", "beta-1", "beta-2", "beta-3", "gamma"};
  assert_true(seen == want);
  // The last full page has no token when nothing follows it.
  Page all = ListPage(f, "max-buckets=5");
  assert_int_equal(all.names.size(), 5);
  assert_false(all.has_token);
}

void test_prefix_filters_and_echoes(void** state) {
  Fixture& f = *static_cast<Fixture*>(*state);
  MakeBuckets(f);
  Page p = ListPage(f, "prefix=beta-");
  std::vector<std::string> want = {"beta-1", "beta-2", "beta-3"};
  assert_true(p.names == want);
  assert_true(p.has_prefix);
  assert_string_equal(p.prefix.c_str(), "beta-");
  assert_false(p.has_token);
  Page first = ListPage(f, "prefix=beta-&max-buckets=1");
  assert_int_equal(first.names.size(), 1);
  assert_true(first.has_token);
  Page second = ListPage(
      f, "prefix=beta-&max-buckets=5&continuation-token=" + http::UriEncode(first.token, true));
  want = {"beta-2", "beta-3"};
  assert_true(second.names == want);
  assert_true(ListPage(f, "prefix=zzz").names.empty());
}

void test_region_and_empty_token(void** state) {
  Fixture& f = *static_cast<Fixture*>(*state);
  MakeBuckets(f);
  assert_int_equal(ListPage(f, "bucket-region=us-east-1").names.size(), 5);
  assert_true(ListPage(f, "bucket-region=eu-west-1").names.empty());
  assert_int_equal(ListPage(f, "continuation-token=").names.size(), 5);
}

void test_bad_arguments(void** state) {
  Fixture& f = *static_cast<Fixture*>(*state);
  MakeBuckets(f);
  for (const char* q : {"max-buckets=0", "max-buckets=10001", "max-buckets=-1", "max-buckets=x",
                        "max-buckets=", "continuation-token=%21%21",
                        "continuation-token=" /* a 64-byte name */
                        "YWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYW"
                        "FhYWFhYWFhYQ%3D%3D"}) {
    TestResponse r = Do(f, "GET", "/", q);
    if (r.status != 400) print_message("query %s answered %d\n", q, r.status);
    assert_int_equal(r.status, 400);
    assert_string_equal(ErrorCode(r).c_str(), "InvalidArgument");
  }
  assert_int_equal(Do(f, "GET", "/", "max-buckets=10000").status, 200);
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_unpaginated_lists_all, SetupFixture, TeardownFixture),
      cmocka_unit_test_setup_teardown(test_max_buckets_pages, SetupFixture, TeardownFixture),
      cmocka_unit_test_setup_teardown(test_prefix_filters_and_echoes, SetupFixture,
                                      TeardownFixture),
      cmocka_unit_test_setup_teardown(test_region_and_empty_token, SetupFixture, TeardownFixture),
      cmocka_unit_test_setup_teardown(test_bad_arguments, SetupFixture, TeardownFixture),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
