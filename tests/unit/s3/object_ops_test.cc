// Object operations through S3Handler (real SigV4 verifier, fake ObjectLayer): PutObject
// digests, checksums and limits, GetObject ranges and conditionals, aws-chunked trailers,
// CopyObject and DeleteObjects.
#include <pugixml.hpp>

#include <string>

#include "s3_test_harness.h"

#include "cmocka_cpp.h"

using namespace flashstor;
using namespace flashstor::s3;
using namespace flashstor::s3::testing;

namespace {

void test_put_get_range(void** state) {
  Fixture& f = *static_cast<Fixture*>(*state);
  assert_int_equal(Do(f, "PUT", "/bkt1").status, 200);
  TestResponse put = Do(f, "PUT", "/bkt1/dir/hello.txt", "", "hello world",
                        {{"Content-Type", "text/plain"},
                         {"x-amz-meta-color", "blue"},
                         {"Content-MD5", "XrY7u+Ae7tCTyyK7j1rNww=="}});
  assert_int_equal(put.status, 200);
  assert_string_equal(put.header("etag").c_str(), "\"5eb63bbbe01eeed093cb22bb8f5acdc3\"");

  TestResponse get = Do(f, "GET", "/bkt1/dir/hello.txt");
  assert_int_equal(get.status, 200);
  assert_string_equal(get.body.c_str(), "hello world");
  assert_string_equal(get.header("content-type").c_str(), "text/plain");
  assert_string_equal(get.header("x-amz-meta-color").c_str(), "blue");
  assert_string_equal(get.header("accept-ranges").c_str(), "bytes");
  assert_false(get.header("last-modified").empty());

  TestResponse range = Do(f, "GET", "/bkt1/dir/hello.txt", "", "", {{"Range", "bytes=0-4"}});
  assert_int_equal(range.status, 206);
  assert_string_equal(range.body.c_str(), "hello");
  assert_string_equal(range.header("content-range").c_str(), "bytes 0-4/11");
  assert_string_equal(range.header("content-length").c_str(), "5");
  TestResponse suffix = Do(f, "GET", "/bkt1/dir/hello.txt", "", "", {{"Range", "bytes=-5"}});
  assert_string_equal(suffix.body.c_str(), "world");
  TestResponse multi = Do(f, "GET", "/bkt1/dir/hello.txt", "", "", {{"Range", "bytes=0-1,3-4"}});
  assert_int_equal(multi.status, 200);
  TestResponse bad = Do(f, "GET", "/bkt1/dir/hello.txt", "", "", {{"Range", "bytes=20-"}});
  assert_int_equal(bad.status, 416);
  assert_string_equal(ErrorCode(bad).c_str(), "InvalidRange");
  assert_string_equal(bad.header("content-range").c_str(), "bytes */11");

  TestResponse head = Do(f, "HEAD", "/bkt1/dir/hello.txt");
  assert_int_equal(head.status, 200);
  assert_string_equal(head.header("content-length").c_str(), "11");
  assert_true(head.body.empty());

  TestResponse over = Do(f, "GET", "/bkt1/dir/hello.txt", "response-content-type=x%2Fy");
  assert_string_equal(over.header("content-type").c_str(), "x/y");
  TestResponse missing = Do(f, "GET", "/bkt1/nope");
  assert_string_equal(ErrorCode(missing).c_str(), "NoSuchKey");
  assert_true(missing.body.find("<Key>nope</Key>") != std::string::npos);
}

void test_conditionals(void** state) {
  Fixture& f = *static_cast<Fixture*>(*state);
  Do(f, "PUT", "/bkt2");
  TestResponse put = Do(f, "PUT", "/bkt2/k", "", "data");
  std::string etag = put.header("etag");
  TestResponse nm = Do(f, "GET", "/bkt2/k", "", "", {{"If-None-Match", etag}});
  assert_int_equal(nm.status, 304);
  assert_true(nm.body.empty());
  assert_string_equal(nm.header("etag").c_str(), etag.c_str());
  TestResponse m = Do(f, "GET", "/bkt2/k", "", "", {{"If-Match", "\"other\""}});
  assert_int_equal(m.status, 412);
  assert_string_equal(ErrorCode(m).c_str(), "PreconditionFailed");
  TestResponse ok =
      Do(f, "GET", "/bkt2/k", "", "",
         {{"If-Match", etag}, {"If-Unmodified-Since", "Sun, 06 Nov 1994 08:49:37 GMT"}});
  assert_int_equal(ok.status, 200);
}

void test_put_errors(void** state) {
  Fixture& f = *static_cast<Fixture*>(*state);
  Do(f, "PUT", "/bkt3");
  TestResponse md5 =
      Do(f, "PUT", "/bkt3/k", "", "hello world", {{"Content-MD5", "1B2M2Y8AsgTpgAmY7PhCfg=="}});
  assert_string_equal(ErrorCode(md5).c_str(), "BadDigest");
  assert_false(f.layer.has_object("bkt3", "k"));
  TestResponse bad_md5 = Do(f, "PUT", "/bkt3/k", "", "x", {{"Content-MD5", "abc"}});
  assert_string_equal(ErrorCode(bad_md5).c_str(), "InvalidDigest");

  TestRequest sha;
  sha.method = "PUT";
  sha.path = "/bkt3/k";
  sha.body = "payload";
  sha.payload = std::string(64, 'a');  // signed, but not the body's digest
  TestResponse mismatch = Run(f.handler, sha);
  assert_string_equal(ErrorCode(mismatch).c_str(), "XAmzContentSHA256Mismatch");
  assert_false(f.layer.has_object("bkt3", "k"));
  sha.payload = "sha256";
  assert_int_equal(Run(f.handler, sha).status, 200);
  assert_string_equal(f.layer.data("bkt3", "k").c_str(), "payload");

  TestRequest no_len;
  no_len.method = "PUT";
  no_len.path = "/bkt3/k2";
  no_len.content_length = false;
  TestResponse nl = Run(f.handler, no_len);
  assert_int_equal(nl.status, 411);
  assert_string_equal(ErrorCode(nl).c_str(), "MissingContentLength");

  std::string big(2100, 'm');
  TestResponse meta = Do(f, "PUT", "/bkt3/k3", "", "x", {{"x-amz-meta-big", big}});
  assert_string_equal(ErrorCode(meta).c_str(), "MetadataTooLarge");
  std::string long_key = "/bkt3/" + std::string(1025, 'k');
  assert_string_equal(ErrorCode(Do(f, "PUT", long_key, "", "x")).c_str(), "KeyTooLongError");
  TestResponse crc = Do(f, "PUT", "/bkt3/c", "", "hello", {{"x-amz-checksum-crc32", "AAAAAA=="}});
  assert_string_equal(ErrorCode(crc).c_str(), "BadDigest");
  TestResponse crc_ok =
      Do(f, "PUT", "/bkt3/c", "", "hello", {{"x-amz-checksum-crc32", "NhCmhg=="}});
  assert_int_equal(crc_ok.status, 200);
  assert_string_equal(crc_ok.header("x-amz-checksum-crc32").c_str(), "NhCmhg==");
  TestResponse mode = Do(f, "GET", "/bkt3/c", "", "", {{"x-amz-checksum-mode", "ENABLED"}});
  assert_string_equal(mode.header("x-amz-checksum-crc32").c_str(), "NhCmhg==");
}

void test_streaming_trailer(void** state) {
  Fixture& f = *static_cast<Fixture*>(*state);
  Do(f, "PUT", "/bkt4");
  TestRequest r;
  r.method = "PUT";
  r.path = "/bkt4/streamed";
  r.payload = "STREAMING-UNSIGNED-PAYLOAD-TRAILER";
  r.body = "5\r\nhello\r\n0\r\nx-amz-checksum-crc32:NhCmhg==\r\n\r\n";
  r.headers = {{"Content-Encoding", "aws-chunked"},
               {"x-amz-decoded-content-length", "5"},
               {"x-amz-trailer", "x-amz-checksum-crc32"}};
  TestResponse ok = Run(f.handler, r);
  assert_int_equal(ok.status, 200);
  assert_string_equal(f.layer.data("bkt4", "streamed").c_str(), "hello");
  r.path = "/bkt4/bad";
  r.body = "5\r\nhello\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n";
  TestResponse bad = Run(f.handler, r);
  assert_string_equal(ErrorCode(bad).c_str(), "BadDigest");
  assert_false(f.layer.has_object("bkt4", "bad"));
  r.headers = {{"Content-Encoding", "aws-chunked"}};
  assert_string_equal(ErrorCode(Run(f.handler, r)).c_str(), "MissingContentLength");
}

void test_copy_and_delete_objects(void** state) {
  Fixture& f = *static_cast<Fixture*>(*state);
  Do(f, "PUT", "/bkt6");
  Do(f, "PUT", "/bkt6/src", "", "copy me", {{"x-amz-meta-a", "1"}});
  TestResponse copy = Do(f, "PUT", "/bkt6/dst", "", "", {{"x-amz-copy-source", "/bkt6/src"}});
  assert_int_equal(copy.status, 200);
  assert_true(copy.body.find("<CopyObjectResult") != std::string::npos);
  assert_string_equal(f.layer.data("bkt6", "dst").c_str(), "copy me");
  TestResponse self = Do(f, "PUT", "/bkt6/src", "", "", {{"x-amz-copy-source", "bkt6/src"}});
  assert_string_equal(ErrorCode(self).c_str(), "InvalidRequest");
  TestResponse replace = Do(f, "PUT", "/bkt6/src", "", "",
                            {{"x-amz-copy-source", "bkt6/src"},
                             {"x-amz-metadata-directive", "REPLACE"},
                             {"x-amz-meta-a", "2"}});
  assert_int_equal(replace.status, 200);
  assert_string_equal(Do(f, "HEAD", "/bkt6/src").header("x-amz-meta-a").c_str(), "2");
  TestResponse cond =
      Do(f, "PUT", "/bkt6/dst2", "", "",
         {{"x-amz-copy-source", "/bkt6/src"}, {"x-amz-copy-source-if-match", "\"nope\""}});
  assert_int_equal(cond.status, 412);
  assert_string_equal(
      ErrorCode(Do(f, "PUT", "/bkt6/x", "", "", {{"x-amz-copy-source", "/bkt6/none"}})).c_str(),
      "NoSuchKey");

  std::string body =
      "<Delete><Object><Key>src</Key></Object><Object><Key>dst</Key></Object>"
      "<Object><Key>gone</Key></Object></Delete>";
  TestResponse del = Do(f, "POST", "/bkt6", "delete", body);
  assert_int_equal(del.status, 200);
  pugi::xml_document doc;
  doc.load_string(del.body.c_str());
  int deleted = 0;
  for (pugi::xml_node n : doc.child("DeleteResult").children("Deleted")) {
    (void)n;
    ++deleted;
  }
  assert_int_equal(deleted, 3);
  assert_false(f.layer.has_object("bkt6", "src"));
  assert_string_equal(ErrorCode(Do(f, "POST", "/bkt6", "delete", "<Delete>")).c_str(),
                      "MalformedXML");
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_put_get_range, SetupFixture, TeardownFixture),
      cmocka_unit_test_setup_teardown(test_conditionals, SetupFixture, TeardownFixture),
      cmocka_unit_test_setup_teardown(test_put_errors, SetupFixture, TeardownFixture),
      cmocka_unit_test_setup_teardown(test_streaming_trailer, SetupFixture, TeardownFixture),
      cmocka_unit_test_setup_teardown(test_copy_and_delete_objects, SetupFixture, TeardownFixture),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
