// Resource tests: path-style and virtual-hosted bucket/key extraction, key decoding and
// limits, and the bucket naming rules (good/bad lists from the AWS documentation).
#include <string>

#include "flashstor/s3/resource.h"

#include "cmocka_cpp.h"

using namespace flashstor;
using namespace flashstor::s3;

namespace {

void test_path_style(void** state) {
  (void)state;
  mem::Arena arena;
  Resource r;
  assert_true(ParseResource("/", "localhost:9000", "", arena, r).ok());
  assert_int_equal(static_cast<int>(r.kind), static_cast<int>(ResourceKind::kService));
  assert_true(ParseResource("/bucket", "h", "", arena, r).ok());
  assert_int_equal(static_cast<int>(r.kind), static_cast<int>(ResourceKind::kBucket));
  assert_true(r.bucket == "bucket");
  assert_true(ParseResource("/bucket/", "h", "", arena, r).ok());
  assert_int_equal(static_cast<int>(r.kind), static_cast<int>(ResourceKind::kBucket));
  assert_true(ParseResource("/bucket/a/b%20c+d%2Be", "h", "", arena, r).ok());
  assert_int_equal(static_cast<int>(r.kind), static_cast<int>(ResourceKind::kObject));
  assert_true(r.key == "a/b c+d+e");  // '+' stays literal
  assert_true(ParseResource("/bucket//x/../y", "h", "", arena, r).ok());
  assert_true(r.key == "/x/../y");
  assert_true(ParseResource("/bucket/%E2%9C%93", "h", "", arena, r).ok());
  assert_true(r.key == "\xE2\x9C\x93");
  assert_false(r.virtual_host);
}

void test_virtual_host(void** state) {
  (void)state;
  mem::Arena arena;
  Resource r;
  assert_true(
      ParseResource("/photos/x.jpg", "mybucket.s3.example.com:9000", "s3.example.com", arena, r)
          .ok());
  assert_true(r.bucket == "mybucket");
  assert_true(r.key == "photos/x.jpg");
  assert_true(r.virtual_host);
  assert_true(ParseResource("/", "mybucket.S3.Example.com", "s3.example.com", arena, r).ok());
  assert_int_equal(static_cast<int>(r.kind), static_cast<int>(ResourceKind::kBucket));
  // The domain itself (or another host) is path-style.
  assert_true(ParseResource("/b/k", "s3.example.com", "s3.example.com", arena, r).ok());
  assert_true(r.bucket == "b" && r.key == "k");
  assert_true(ParseResource("/b/k", "other.com", "s3.example.com", arena, r).ok());
  assert_true(r.bucket == "b");
  assert_true(ParseResource("/b/k", "xs3.example.com", "s3.example.com", arena, r).ok());
  assert_true(r.bucket == "b");
}

void test_bad_paths(void** state) {
  (void)state;
  mem::Arena arena;
  Resource r;
  assert_true(ParseResource("", "h", "", arena, r).id() == ErrorId::kInvalidUri);
  assert_true(ParseResource("bucket/key", "h", "", arena, r).id() == ErrorId::kInvalidUri);
  assert_true(ParseResource("/bucket/%zz", "h", "", arena, r).id() == ErrorId::kInvalidUri);
  assert_true(ParseResource("//key", "h", "", arena, r).id() == ErrorId::kInvalidUri);
  std::string ok = "/b/" + std::string(1024, 'k');
  assert_true(ParseResource(ok, "h", "", arena, r).ok());
  assert_int_equal(r.key.size(), 1024);
  std::string too_long = "/b/" + std::string(1025, 'k');
  assert_true(ParseResource(too_long, "h", "", arena, r).id() == IdOf(Code::kKeyTooLong));
  std::string encoded_long = "/b/";
  for (int i = 0; i < 1025; ++i) encoded_long += "%41";
  assert_true(ParseResource(encoded_long, "h", "", arena, r).id() == IdOf(Code::kKeyTooLong));
}

// Keys must be UTF-8 once percent-decoded (AWS: 400 InvalidURI).
void test_keys_must_be_utf8(void** state) {
  (void)state;
  mem::Arena arena;
  Resource r;
  for (const char* bad : {"/b/%FF", "/b/a%C3", "/b/%C0%AF", "/b/%ED%A0%80", "/b/%F4%90%80%80",
                          "/b/ok/%80tail", "/b/\xff"}) {
    assert_true(ParseResource(bad, "h", "", arena, r).id() == ErrorId::kInvalidUri);
  }
  assert_true(ParseResource("/b/caf%C3%A9", "h", "", arena, r).ok());
  assert_true(r.key == "caf\xc3\xa9");
  assert_true(ParseResource("/b/\xe2\x82\xac-%F0%9F%98%80", "h", "", arena, r).ok());
  assert_true(ParseResource("/b/k%FF", "b.s3.example.com", "s3.example.com", arena, r).id() ==
              ErrorId::kInvalidUri);
}

void test_bucket_names(void** state) {
  (void)state;
  const std::string max_len(63, 'a');
  for (const char* good : {"docexamplebucket1", "log-delivery-march-2020", "my-hosted-content",
                           "docexamplewebsite.com", "www.docexamplewebsite.com",
                           "my.example.s3.bucket", "abc", "a1-2.b3", max_len.c_str()}) {
    assert_true(CheckBucketName(good).empty());
  }
  const std::string too_long(64, 'a');
  for (const char* bad : {"doc_example_bucket",
                          "DocExampleBucket",
                          "doc-example-bucket-",
                          "ab",
                          too_long.c_str(),
                          "-abc",
                          ".abc",
                          "abc.",
                          "a..b",
                          "192.168.5.4",
                          "xn--abc",
                          "sthree-abc",
                          "abc-s3alias",
                          "abc--ol-s3",
                          "a b c",
                          "",
                          "metrics",
                          "health",
                          "flashstor",
                          "ab/c"}) {
    assert_false(CheckBucketName(bad).empty());
  }
  assert_true(CheckBucketName("metrics").find("reserved") != std::string_view::npos);
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_path_style),   cmocka_unit_test(test_virtual_host),
      cmocka_unit_test(test_bad_paths),    cmocka_unit_test(test_keys_must_be_utf8),
      cmocka_unit_test(test_bucket_names),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
