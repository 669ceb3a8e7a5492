// XML tests: response documents parsed back with pugixml, url encoding, and request bodies
// (well-formed, malformed, oversized, limits).
#include <pugixml.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "flashstor/s3/xml_reader.h"
#include "flashstor/s3/xml_writer.h"

#include "cmocka_cpp.h"

using namespace flashstor;
using namespace flashstor::s3;

namespace {

const Owner kOwner{"owner-id", "owner-name"};

pugi::xml_node Parse(pugi::xml_document& doc, const std::string& xml, const char* root) {
  assert_true(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"));
  assert_true(static_cast<bool>(doc.load_string(xml.c_str())));
  pugi::xml_node r = doc.child(root);
  assert_true(static_cast<bool>(r));
  return r;
}

std::string Text(pugi::xml_node n, const char* child) {
  return n.child(child).text().get();
}

object::ListResult SampleList(bool truncated) {
  object::ListResult r;
  object::ObjectInfo a;
  a.key = "a b&c<";
  a.etag = "0123";
  a.size = 42;
  a.mod_time_ns = 784111777LL * 1000000000;
  r.objects.push_back(a);
  r.common_prefixes = {"dir/", "x+y/"};
  r.truncated = truncated;
  r.next_marker = "x+y/";
  return r;
}

void test_list_v2(void** state) {
  (void)state;
  ListObjectsParams p;
  p.bucket = "bkt";
  p.prefix = "";
  p.delimiter = "/";
  p.max_keys = 3;
  p.continuation_token = "dG9r";
  p.next_continuation_token = "bmV4dA==";
  p.start_after = "s";
  std::string xml = ListObjectsV2Xml(p, SampleList(true), kOwner);
  pugi::xml_document doc;
  pugi::xml_node root = Parse(doc, xml, "ListBucketResult");
  assert_string_equal(root.attribute("xmlns").value(), "http://s3.amazonaws.com/doc/2006-03-01/");
  assert_string_equal(Text(root, "Name").c_str(), "bkt");
  assert_string_equal(Text(root, "KeyCount").c_str(), "3");
  assert_string_equal(Text(root, "MaxKeys").c_str(), "3");
  assert_string_equal(Text(root, "IsTruncated").c_str(), "true");
  assert_string_equal(Text(root, "Delimiter").c_str(), "/");
  assert_string_equal(Text(root, "ContinuationToken").c_str(), "dG9r");
  assert_string_equal(Text(root, "NextContinuationToken").c_str(), "bmV4dA==");
  assert_string_equal(Text(root, "StartAfter").c_str(), "s");
  pugi::xml_node c = root.child("Contents");
  assert_string_equal(Text(c, "Key").c_str(), "a b&c<");  // escaped and round-tripped
  assert_string_equal(Text(c, "ETag").c_str(), "\"0123\"");
  assert_string_equal(Text(c, "Size").c_str(), "42");
  assert_string_equal(Text(c, "LastModified").c_str(), "1994-11-06T08:49:37.000Z");
  assert_string_equal(Text(c, "StorageClass").c_str(), "STANDARD");
  assert_false(static_cast<bool>(c.child("Owner")));  // fetch-owner not set
  int prefixes = 0;
  for (pugi::xml_node n : root.children("CommonPrefixes")) {
    (void)n;
    ++prefixes;
  }
  assert_int_equal(prefixes, 2);
  assert_false(static_cast<bool>(root.child("EncodingType")));

  p.fetch_owner = true;
  std::string with_owner = ListObjectsV2Xml(p, SampleList(false), kOwner);
  pugi::xml_document doc2;
  pugi::xml_node r2 = Parse(doc2, with_owner, "ListBucketResult");
  assert_string_equal(Text(r2.child("Contents").child("Owner"), "ID").c_str(), "owner-id");
  assert_false(static_cast<bool>(r2.child("NextContinuationToken")));
}

void test_list_v1_and_url_encoding(void** state) {
  (void)state;
  ListObjectsParams p;
  p.bucket = "bkt";
  p.prefix = "a b";
  p.marker = "m+";
  p.max_keys = 1000;
  // Without a delimiter: no NextMarker even when truncated (AWS).
  pugi::xml_document d1;
  pugi::xml_node r1 = Parse(d1, ListObjectsV1Xml(p, SampleList(true), kOwner), "ListBucketResult");
  assert_false(static_cast<bool>(r1.child("NextMarker")));
  assert_string_equal(Text(r1, "Marker").c_str(), "m+");
  assert_true(static_cast<bool>(r1.child("Contents").child("Owner")));
  // With a delimiter and url encoding.
  p.delimiter = "/";
  p.url_encode = true;
  pugi::xml_document d2;
  pugi::xml_node r2 = Parse(d2, ListObjectsV1Xml(p, SampleList(true), kOwner), "ListBucketResult");
  assert_string_equal(Text(r2, "NextMarker").c_str(), "x%2By/");
  assert_string_equal(Text(r2, "EncodingType").c_str(), "url");
  assert_string_equal(Text(r2, "Prefix").c_str(), "a b");  // v1: as sent, never encoded
  assert_string_equal(Text(r2, "Marker").c_str(), "m%2B");
  assert_string_equal(Text(r2.child("Contents"), "Key").c_str(), "a%20b%26c%3C");
  assert_string_equal(Text(r2.child("CommonPrefixes"), "Prefix").c_str(), "dir/");
  assert_string_equal(Text(r2, "Delimiter").c_str(), "/");
}

void test_list_buckets_and_misc(void** state) {
  (void)state;
  std::vector<object::BucketInfo> buckets = {{"one", 0}, {"two", 1000000000}};
  pugi::xml_document d;
  pugi::xml_node r = Parse(d, ListBucketsXml(buckets, kOwner), "ListAllMyBucketsResult");
  assert_string_equal(Text(r.child("Owner"), "DisplayName").c_str(), "owner-name");
  pugi::xml_node b = r.child("Buckets").child("Bucket");
  assert_string_equal(Text(b, "Name").c_str(), "one");
  assert_string_equal(Text(b.next_sibling("Bucket"), "CreationDate").c_str(),
                      "1970-01-01T00:00:01.000Z");

  pugi::xml_document d2;
  assert_string_equal(Parse(d2, LocationXml("us-east-1"), "LocationConstraint").text().get(), "");
  pugi::xml_document d3;
  assert_string_equal(Parse(d3, LocationXml("eu-west-1"), "LocationConstraint").text().get(),
                      "eu-west-1");
  pugi::xml_document d4;
  pugi::xml_node v = Parse(d4, VersioningXml(), "VersioningConfiguration");
  assert_false(static_cast<bool>(v.first_child()));
  pugi::xml_document d5;
  pugi::xml_node acl = Parse(d5, AclXml(kOwner), "AccessControlPolicy");
  assert_string_equal(Text(acl.child("AccessControlList").child("Grant"), "Permission").c_str(),
                      "FULL_CONTROL");
  pugi::xml_document d6;
  pugi::xml_node cr = Parse(d6, CopyResultXml("e", 0, false), "CopyObjectResult");
  assert_string_equal(Text(cr, "ETag").c_str(), "\"e\"");
  pugi::xml_document d7;
  Parse(d7, CopyResultXml("e", 0, true), "CopyPartResult");
}

void test_error_xml(void** state) {
  (void)state;
  ErrorContext ctx{"/b/k", "b", "k", "REQ1", "HOST1", {}};
  pugi::xml_document d;
  pugi::xml_node e = Parse(d, ErrorXml(ApiError(Code::kNoSuchKey), ctx), "Error");
  assert_false(static_cast<bool>(e.attribute("xmlns")));
  assert_string_equal(Text(e, "Code").c_str(), "NoSuchKey");
  assert_string_equal(Text(e, "Key").c_str(), "k");
  assert_false(static_cast<bool>(e.child("BucketName")));
  assert_string_equal(Text(e, "Resource").c_str(), "/b/k");
  assert_string_equal(Text(e, "RequestId").c_str(), "REQ1");
  assert_string_equal(Text(e, "HostId").c_str(), "HOST1");
  pugi::xml_document d2;
  pugi::xml_node e2 = Parse(d2, ErrorXml(ApiError(Code::kNoSuchBucket), ctx), "Error");
  assert_string_equal(Text(e2, "BucketName").c_str(), "b");
  assert_false(static_cast<bool>(e2.child("Key")));
  pugi::xml_document d3;
  pugi::xml_node e3 =
      Parse(d3, ErrorXml(ApiError(Code::kInvalidArgument, "bad max-keys"), ctx), "Error");
  assert_string_equal(Text(e3, "Message").c_str(), "bad max-keys");
  assert_false(static_cast<bool>(e3.child("HeadersNotSigned")));
  ctx.headers_not_signed = "x-amz-copy-source, x-amz-meta-a";
  pugi::xml_document d4;
  pugi::xml_node e4 =
      Parse(d4,
            ErrorXml(ApiError(Code::kAccessDenied,
                              "There were headers present in the request which were not signed"),
                     ctx),
            "Error");
  assert_string_equal(Text(e4, "Code").c_str(), "AccessDenied");
  assert_string_equal(Text(e4, "HeadersNotSigned").c_str(), "x-amz-copy-source, x-amz-meta-a");
}

void test_multipart_and_delete_results(void** state) {
  (void)state;
  object::ObjectInfo info;
  info.etag = "abc-2";
  pugi::xml_document d;
  pugi::xml_node r = Parse(d, CompleteMultipartUploadXml("http://h/b/k", "b", "k", info),
                           "CompleteMultipartUploadResult");
  assert_string_equal(Text(r, "ETag").c_str(), "\"abc-2\"");
  assert_string_equal(Text(r, "Location").c_str(), "http://h/b/k");
  pugi::xml_document d2;
  pugi::xml_node i =
      Parse(d2, InitiateMultipartUploadXml("b", "k", "u1"), "InitiateMultipartUploadResult");
  assert_string_equal(Text(i, "UploadId").c_str(), "u1");

  object::ListPartsResult parts;
  parts.parts.push_back({1, "e1", 5, 0, ""});
  parts.parts.push_back({2, "e2", 6, 0, ""});
  parts.truncated = true;
  parts.next_part_number_marker = 2;
  ListPartsParams lp{"b", "k", "u1", 0, 2};
  pugi::xml_document d3;
  pugi::xml_node lr = Parse(d3, ListPartsXml(lp, parts, kOwner), "ListPartsResult");
  assert_string_equal(Text(lr, "NextPartNumberMarker").c_str(), "2");
  assert_string_equal(Text(lr, "IsTruncated").c_str(), "true");
  assert_string_equal(Text(lr.child("Part").next_sibling("Part"), "ETag").c_str(), "\"e2\"");

  std::vector<DeleteOutcome> outcomes(2);
  outcomes[0].key = "ok";
  outcomes[1].key = "bad";
  outcomes[1].error = Code::kAccessDenied;
  pugi::xml_document d4;
  pugi::xml_node dr = Parse(d4, DeleteResultXml(outcomes, false), "DeleteResult");
  assert_string_equal(Text(dr.child("Deleted"), "Key").c_str(), "ok");
  assert_string_equal(Text(dr.child("Error"), "Code").c_str(), "AccessDenied");
  pugi::xml_document d5;
  pugi::xml_node quiet = Parse(d5, DeleteResultXml(outcomes, true), "DeleteResult");
  assert_false(static_cast<bool>(quiet.child("Deleted")));
  assert_true(static_cast<bool>(quiet.child("Error")));
}

void test_parse_complete(void** state) {
  (void)state;
  auto ok = ParseCompleteMultipartUpload(
      "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
      "<Part><PartNumber>1</PartNumber><ETag>\"aaa\"</ETag></Part>"
      "<Part><ETag>bbb</ETag><PartNumber> 3 </PartNumber><ChecksumCRC32>AAAAAA==</ChecksumCRC32>"
      "</Part></CompleteMultipartUpload>");
  assert_true(ok.has_value());
  assert_int_equal(ok->size(), 2);
  assert_int_equal((*ok)[0].number, 1);
  assert_string_equal((*ok)[0].etag.c_str(), "aaa");
  assert_int_equal((*ok)[1].number, 3);
  assert_string_equal((*ok)[1].checksum_b64.c_str(), "AAAAAA==");
  auto code = [](std::string_view xml) { return ParseCompleteMultipartUpload(xml).error().code(); };
  assert_true(code("") == Code::kMalformedXml);
  assert_true(code("<CompleteMultipartUpload>") == Code::kMalformedXml);
  assert_true(code("<CompleteMultipartUpload></CompleteMultipartUpload>") == Code::kMalformedXml);
  assert_true(code("<Other><Part><PartNumber>1</PartNumber><ETag>a</ETag></Part></Other>") ==
              Code::kMalformedXml);
  assert_true(code("<CompleteMultipartUpload><Part><PartNumber>0</PartNumber><ETag>a</ETag>"
                   "</Part></CompleteMultipartUpload>") == Code::kMalformedXml);
  assert_true(code("<CompleteMultipartUpload><Part><PartNumber>10001</PartNumber><ETag>a</ETag>"
                   "</Part></CompleteMultipartUpload>") == Code::kMalformedXml);
  assert_true(code("<CompleteMultipartUpload><Part><PartNumber>1</PartNumber></Part>"
                   "</CompleteMultipartUpload>") == Code::kMalformedXml);
  assert_true(code("<CompleteMultipartUpload><Part><PartNumber>2</PartNumber><ETag>a</ETag></Part>"
                   "<Part><PartNumber>1</PartNumber><ETag>b</ETag></Part>"
                   "</CompleteMultipartUpload>") == Code::kInvalidPartOrder);
  assert_true(code("<CompleteMultipartUpload><Part><PartNumber>2</PartNumber><ETag>a</ETag></Part>"
                   "<Part><PartNumber>2</PartNumber><ETag>b</ETag></Part>"
                   "</CompleteMultipartUpload>") == Code::kInvalidPartOrder);
  // Entities from a DOCTYPE are never expanded (pugixml leaves them verbatim).
  auto xxe = ParseCompleteMultipartUpload(
      "<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]>"
      "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>&e;</ETag>"
      "</Part></CompleteMultipartUpload>");
  assert_true(!xxe.has_value() || (*xxe)[0].etag == "&e;");
  // 10,001 parts is too many.
  std::string many = "<CompleteMultipartUpload>";
  for (int i = 1; i <= 10001; ++i) {
    many += "<Part><PartNumber>" + std::to_string(i > 10000 ? 10000 : i) +
            "</PartNumber><ETag>e</ETag></Part>";
  }
  many += "</CompleteMultipartUpload>";
  assert_true(code(many) == Code::kMalformedXml);
}

void test_parse_delete(void** state) {
  (void)state;
  auto ok = ParseDeleteObjects(
      "<Delete><Quiet>true</Quiet><Object><Key> a </Key></Object>"
      "<Object><Key>b&amp;c</Key><VersionId>null</VersionId></Object></Delete>");
  assert_true(ok.has_value());
  assert_true(ok->quiet);
  assert_int_equal(ok->objects.size(), 2);
  assert_string_equal(ok->objects[0].key.c_str(), " a ");
  assert_string_equal(ok->objects[1].key.c_str(), "b&c");
  assert_string_equal(ok->objects[1].version_id.c_str(), "null");
  assert_false(ParseDeleteObjects("<Delete></Delete>").has_value());
  assert_false(ParseDeleteObjects("<Delete><Object></Object></Delete>").has_value());
  assert_false(ParseDeleteObjects("<Delete><Quiet>maybe</Quiet><Object><Key>a</Key></Object>"
                                  "</Delete>")
                   .has_value());
  assert_false(ParseDeleteObjects("<Delete><Object><Key>a</Key></Object>").has_value());
  std::string body = "<Delete>";
  for (int i = 0; i < 1000; ++i) body += "<Object><Key>k" + std::to_string(i) + "</Key></Object>";
  std::string at_limit = body + "</Delete>";
  assert_true(ParseDeleteObjects(at_limit).has_value());
  std::string over = body + "<Object><Key>x</Key></Object></Delete>";
  assert_true(ParseDeleteObjects(over).error() == Code::kMalformedXml);
}

void test_parse_bucket_config(void** state) {
  (void)state;
  assert_string_equal(ParseCreateBucketConfiguration("")->c_str(), "");
  assert_string_equal(ParseCreateBucketConfiguration(" \n")->c_str(), "");
  assert_string_equal(
      ParseCreateBucketConfiguration(
          "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
          "<LocationConstraint>eu-west-1</LocationConstraint></CreateBucketConfiguration>")
          ->c_str(),
      "eu-west-1");
  assert_false(ParseCreateBucketConfiguration("<Bogus/>").has_value());
  assert_false(ParseCreateBucketConfiguration("<CreateBucketConfiguration>").has_value());
}

class StringSource final : public DataSource {
 public:
  explicit StringSource(std::string s) : s_(std::move(s)) {}
  Result<size_t> read(std::span<char> out) override {
    size_t n = std::min(out.size(), s_.size() - pos_);
    std::copy_n(s_.data() + pos_, n, out.data());
    pos_ += n;
    return n;
  }

 private:
  std::string s_;
  size_t pos_ = 0;
};

void test_bounded_body(void** state) {
  (void)state;
  std::string out;
  StringSource small("hello");
  assert_true(ReadBoundedBody(small, 5, out).ok());
  assert_string_equal(out.c_str(), "hello");
  StringSource big(std::string(100000, 'x'));
  assert_true(ReadBoundedBody(big, 99999, out).id() == ErrorId::kMaxMessageLengthExceeded);
  StringSource exact(std::string(100000, 'x'));
  assert_true(ReadBoundedBody(exact, 100000, out).ok());
  assert_int_equal(out.size(), 100000);
}

void test_object_attributes(void** state) {
  (void)state;
  object::ObjectInfo info;
  info.etag = "abc-3";
  info.size = 12;
  info.checksum_algo = hash::ChecksumAlgo::kCrc32;
  info.checksum_b64 = "AAAAAA==-3";
  for (int i = 1; i <= 3; ++i) info.parts.push_back({i, "e", 4, 0, "p" + std::to_string(i)});
  ObjectAttributesParams all{true, true, true, true, true, 2, 0};
  pugi::xml_document d;
  pugi::xml_node r = Parse(d, ObjectAttributesXml(all, info), "GetObjectAttributesResponse");
  assert_string_equal(Text(r, "ETag").c_str(), "abc-3");  // unquoted
  assert_string_equal(Text(r.child("Checksum"), "ChecksumCRC32").c_str(), "AAAAAA==");
  assert_string_equal(Text(r.child("Checksum"), "ChecksumType").c_str(), "COMPOSITE");
  pugi::xml_node parts = r.child("ObjectParts");
  assert_string_equal(Text(parts, "PartsCount").c_str(), "3");
  assert_string_equal(Text(parts, "IsTruncated").c_str(), "true");
  assert_string_equal(Text(parts, "NextPartNumberMarker").c_str(), "2");
  std::vector<std::string> listed;
  for (pugi::xml_node p : parts.children("Part")) listed.push_back(Text(p, "ChecksumCRC32"));
  assert_true((listed == std::vector<std::string>{"p1", "p2"}));
  assert_string_equal(Text(r, "StorageClass").c_str(), "STANDARD");
  assert_string_equal(Text(r, "ObjectSize").c_str(), "12");
  // The last page, after marker 2.
  ObjectAttributesParams rest{false, false, true, false, false, 2, 2};
  pugi::xml_document d2;
  pugi::xml_node r2 = Parse(d2, ObjectAttributesXml(rest, info), "GetObjectAttributesResponse");
  assert_false(static_cast<bool>(r2.child("ETag")));
  assert_string_equal(Text(r2.child("ObjectParts"), "IsTruncated").c_str(), "false");
  assert_string_equal(Text(r2.child("ObjectParts").child("Part"), "PartNumber").c_str(), "3");
  // A single-part object: FULL_OBJECT, no ObjectParts.
  info.parts.clear();
  info.checksum_b64 = "AAAAAA==";
  pugi::xml_document d3;
  pugi::xml_node r3 = Parse(d3, ObjectAttributesXml(all, info), "GetObjectAttributesResponse");
  assert_string_equal(Text(r3.child("Checksum"), "ChecksumType").c_str(), "FULL_OBJECT");
  assert_false(static_cast<bool>(r3.child("ObjectParts")));
}

void test_list_buckets_page(void** state) {
  (void)state;
  std::vector<object::BucketInfo> buckets = {{"one", 0}};
  pugi::xml_document d;
  ListBucketsPage page{"us-east-1", "dG9r", "o", true};
  pugi::xml_node r = Parse(d, ListBucketsXml(buckets, kOwner, page), "ListAllMyBucketsResult");
  assert_string_equal(Text(r, "ContinuationToken").c_str(), "dG9r");
  assert_string_equal(Text(r, "Prefix").c_str(), "o");
  assert_string_equal(Text(r.child("Buckets").child("Bucket"), "BucketRegion").c_str(),
                      "us-east-1");
  pugi::xml_document d2;
  pugi::xml_node r2 = Parse(d2, ListBucketsXml(buckets, kOwner), "ListAllMyBucketsResult");
  assert_false(static_cast<bool>(r2.child("ContinuationToken")));
  assert_false(static_cast<bool>(r2.child("Prefix")));
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_list_v2),
      cmocka_unit_test(test_list_v1_and_url_encoding),
      cmocka_unit_test(test_list_buckets_and_misc),
      cmocka_unit_test(test_error_xml),
      cmocka_unit_test(test_multipart_and_delete_results),
      cmocka_unit_test(test_parse_complete),
      cmocka_unit_test(test_parse_delete),
      cmocka_unit_test(test_parse_bucket_config),
      cmocka_unit_test(test_bounded_body),
      cmocka_unit_test(test_object_attributes),
      cmocka_unit_test(test_list_buckets_page),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
