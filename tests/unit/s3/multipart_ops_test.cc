// Multipart operations through S3Handler (real SigV4 verifier, fake ObjectLayer): create,
// parts, part copies, listing, completion order, partNumber reads, abort.
#include <pugixml.hpp>

#include <string>

#include "s3_test_harness.h"

#include "cmocka_cpp.h"

using namespace flashstor;
using namespace flashstor::s3;
using namespace flashstor::s3::testing;

namespace {

void test_multipart(void** state) {
  Fixture& f = *static_cast<Fixture*>(*state);
  Do(f, "PUT", "/bkt7");
  TestResponse init = Do(f, "POST", "/bkt7/big", "uploads");
  assert_int_equal(init.status, 200);
  pugi::xml_document doc;
  doc.load_string(init.body.c_str());
  std::string id = doc.child("InitiateMultipartUploadResult").child("UploadId").text().get();
  assert_false(id.empty());
  TestResponse p1 = Do(f, "PUT", "/bkt7/big", "partNumber=1&uploadId=" + id, "part-one,");
  assert_int_equal(p1.status, 200);
  TestResponse p2 = Do(f, "PUT", "/bkt7/big", "partNumber=2&uploadId=" + id, "part-two");
  assert_string_equal(
      ErrorCode(Do(f, "PUT", "/bkt7/big", "partNumber=0&uploadId=" + id, "x")).c_str(),
      "InvalidArgument");
  assert_string_equal(
      ErrorCode(Do(f, "PUT", "/bkt7/big", "partNumber=10001&uploadId=" + id, "x")).c_str(),
      "InvalidArgument");
  TestResponse parts = Do(f, "GET", "/bkt7/big", "uploadId=" + id);
  assert_true(parts.body.find("<PartNumber>2</PartNumber>") != std::string::npos);
  TestResponse uploads = Do(f, "GET", "/bkt7", "uploads");
  assert_true(uploads.body.find(id) != std::string::npos);
  std::string bad_order = "<CompleteMultipartUpload><Part><PartNumber>2</PartNumber><ETag>" +
                          p2.header("etag") +
                          "</ETag></Part><Part><PartNumber>1</PartNumber><ETag>" +
                          p1.header("etag") + "</ETag></Part></CompleteMultipartUpload>";
  assert_string_equal(ErrorCode(Do(f, "POST", "/bkt7/big", "uploadId=" + id, bad_order)).c_str(),
                      "InvalidPartOrder");
  std::string complete = "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>" +
                         p1.header("etag") +
                         "</ETag></Part><Part><PartNumber>2</PartNumber><ETag>" +
                         p2.header("etag") + "</ETag></Part></CompleteMultipartUpload>";
  TestResponse done = Do(f, "POST", "/bkt7/big", "uploadId=" + id, complete);
  assert_int_equal(done.status, 200);
  assert_true(done.body.find("-2&quot;</ETag>") != std::string::npos ||
              done.body.find("-2\"</ETag>") != std::string::npos);
  assert_true(done.body.find("<Location>http://localhost:9000/bkt7/big</Location>") !=
              std::string::npos);
  assert_string_equal(f.layer.data("bkt7", "big").c_str(), "part-one,part-two");
  TestResponse part2 = Do(f, "GET", "/bkt7/big", "partNumber=2");
  assert_int_equal(part2.status, 206);
  assert_string_equal(part2.body.c_str(), "part-two");
  assert_string_equal(part2.header("x-amz-mp-parts-count").c_str(), "2");
  assert_int_equal(Do(f, "GET", "/bkt7/big", "partNumber=3").status, 416);

  TestResponse init2 = Do(f, "POST", "/bkt7/copy", "uploads");
  doc.load_string(init2.body.c_str());
  std::string id2 = doc.child("InitiateMultipartUploadResult").child("UploadId").text().get();
  TestResponse pc =
      Do(f, "PUT", "/bkt7/copy", "partNumber=1&uploadId=" + id2, "",
         {{"x-amz-copy-source", "/bkt7/big"}, {"x-amz-copy-source-range", "bytes=0-7"}});
  assert_int_equal(pc.status, 200);
  assert_true(pc.body.find("<CopyPartResult") != std::string::npos);
  TestResponse pc_bad =
      Do(f, "PUT", "/bkt7/copy", "partNumber=2&uploadId=" + id2, "",
         {{"x-amz-copy-source", "/bkt7/big"}, {"x-amz-copy-source-range", "bytes=0-100"}});
  assert_string_equal(ErrorCode(pc_bad).c_str(), "InvalidArgument");
  assert_int_equal(Do(f, "DELETE", "/bkt7/copy", "uploadId=" + id2).status, 204);
  assert_string_equal(ErrorCode(Do(f, "GET", "/bkt7/copy", "uploadId=" + id2)).c_str(),
                      "NoSuchUpload");
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_multipart, SetupFixture, TeardownFixture),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
