// Route table tests: every operation, specificity, unsupported subresources, wrong methods.
#include <initializer_list>
#include <string_view>
#include <vector>

#include "flashstor/s3/router.h"

#include "cmocka_cpp.h"

using namespace flashstor;
using namespace flashstor::s3;
using http::Method;

namespace {

std::vector<http::QueryParam> Q(
    std::initializer_list<std::pair<std::string_view, std::string_view>> kv) {
  std::vector<http::QueryParam> out;
  for (auto [k, v] : kv) {
    http::QueryParam p;
    p.name = p.raw_name = k;
    p.value = p.raw_value = v;
    p.has_value = !v.empty();
    out.push_back(p);
  }
  return out;
}

std::string_view RouteName(Method m, ResourceKind k,
                           std::initializer_list<std::pair<std::string_view, std::string_view>> q,
                           bool copy = false) {
  std::vector<http::QueryParam> params = Q(q);
  RouteMatch r = Route(m, k, params, copy);
  if (r.entry == nullptr) return r.error.info().code;
  return r.entry->name;
}

void test_service_and_bucket_routes(void** state) {
  (void)state;
  using enum ResourceKind;
  assert_true(RouteName(Method::kGet, kService, {}) == "ListBuckets");
  assert_true(RouteName(Method::kPut, kBucket, {}) == "CreateBucket");
  assert_true(RouteName(Method::kHead, kBucket, {}) == "HeadBucket");
  assert_true(RouteName(Method::kDelete, kBucket, {}) == "DeleteBucket");
  assert_true(RouteName(Method::kGet, kBucket, {{"location", ""}}) == "GetBucketLocation");
  assert_true(RouteName(Method::kGet, kBucket, {{"versioning", ""}}) == "GetBucketVersioning");
  assert_true(RouteName(Method::kGet, kBucket, {{"acl", ""}}) == "GetBucketAcl");
  assert_true(RouteName(Method::kGet, kBucket, {{"policy", ""}}) == "GetBucketPolicy");
  assert_true(RouteName(Method::kGet, kBucket, {{"cors", ""}}) == "GetBucketCors");
  assert_true(RouteName(Method::kGet, kBucket, {{"tagging", ""}}) == "GetBucketTagging");
  assert_true(RouteName(Method::kGet, kBucket, {{"lifecycle", ""}}) ==
              "GetBucketLifecycleConfiguration");
  assert_true(RouteName(Method::kGet, kBucket, {{"encryption", ""}}) == "GetBucketEncryption");
  assert_true(RouteName(Method::kGet, kBucket, {{"object-lock", ""}}) ==
              "GetObjectLockConfiguration");
  assert_true(RouteName(Method::kGet, kBucket, {{"uploads", ""}}) == "ListMultipartUploads");
  assert_true(RouteName(Method::kGet, kBucket, {{"list-type", "2"}, {"prefix", "a"}}) ==
              "ListObjectsV2");
  assert_true(RouteName(Method::kGet, kBucket, {{"list-type", "1"}}) == "ListObjects");
  assert_true(RouteName(Method::kGet, kBucket, {{"prefix", "a"}, {"marker", "b"}}) ==
              "ListObjects");
  assert_true(RouteName(Method::kPost, kBucket, {{"delete", ""}}) == "DeleteObjects");
}

void test_object_routes(void** state) {
  (void)state;
  using enum ResourceKind;
  assert_true(RouteName(Method::kPut, kObject, {}) == "PutObject");
  assert_true(RouteName(Method::kPut, kObject, {}, true) == "CopyObject");
  assert_true(RouteName(Method::kGet, kObject, {}) == "GetObject");
  assert_true(RouteName(Method::kGet, kObject, {{"partNumber", "2"}}) == "GetObject");
  assert_true(RouteName(Method::kGet, kObject, {{"response-content-type", "x"}}) == "GetObject");
  assert_true(RouteName(Method::kHead, kObject, {}) == "HeadObject");
  assert_true(RouteName(Method::kDelete, kObject, {}) == "DeleteObject");
  assert_true(RouteName(Method::kGet, kObject, {{"acl", ""}}) == "GetObjectAcl");
  assert_true(RouteName(Method::kPost, kObject, {{"uploads", ""}}) == "CreateMultipartUpload");
  assert_true(RouteName(Method::kPut, kObject, {{"partNumber", "1"}, {"uploadId", "u"}}) ==
              "UploadPart");
  assert_true(RouteName(Method::kPut, kObject, {{"uploadId", "u"}, {"partNumber", "1"}}, true) ==
              "UploadPartCopy");
  assert_true(RouteName(Method::kPost, kObject, {{"uploadId", "u"}}) == "CompleteMultipartUpload");
  assert_true(RouteName(Method::kDelete, kObject, {{"uploadId", "u"}}) == "AbortMultipartUpload");
  assert_true(RouteName(Method::kGet, kObject, {{"uploadId", "u"}}) == "ListParts");
  // Presigned-URL parameters do not change the route.
  assert_true(RouteName(Method::kGet, kObject,
                        {{"X-Amz-Algorithm", "AWS4-HMAC-SHA256"}, {"X-Amz-Signature", "ab"}}) ==
              "GetObject");
}

void test_unsupported_subresources(void** state) {
  (void)state;
  using enum ResourceKind;
  assert_true(RouteName(Method::kPut, kBucket, {{"tagging", ""}}) == "PutBucketTagging");
  assert_true(RouteName(Method::kDelete, kBucket, {{"tagging", ""}}) == "DeleteBucketTagging");
  assert_true(RouteName(Method::kPut, kBucket, {{"versioning", ""}}) == "PutBucketVersioning");
  assert_true(RouteName(Method::kPut, kBucket, {{"object-lock", ""}}) ==
              "PutObjectLockConfiguration");
  assert_true(RouteName(Method::kPut, kBucket, {{"acl", ""}}) == "PutBucketAcl");
  assert_true(RouteName(Method::kDelete, kBucket, {{"policy", ""}}) == "DeleteBucketPolicy");
  assert_true(RouteName(Method::kPut, kBucket, {{"policy", ""}}) == "PutBucketPolicy");
  assert_true(RouteName(Method::kGet, kBucket, {{"policyStatus", ""}}) == "GetBucketPolicyStatus");
  assert_true(RouteName(Method::kPut, kBucket, {{"lifecycle", ""}}) ==
              "PutBucketLifecycleConfiguration");
  assert_true(RouteName(Method::kPut, kBucket, {{"website", ""}}) == "NotImplemented");
  assert_true(RouteName(Method::kPut, kBucket, {{"cors", ""}}) == "PutBucketCors");
  assert_true(RouteName(Method::kDelete, kBucket, {{"cors", ""}}) == "DeleteBucketCors");
  assert_true(RouteName(Method::kPut, kObject, {{"cors", ""}}) == "NotImplemented");
  assert_true(RouteName(Method::kDelete, kBucket, {{"encryption", ""}}) ==
              "DeleteBucketEncryption");
  assert_true(RouteName(Method::kPut, kBucket, {{"encryption", ""}}) == "PutBucketEncryption");
  assert_true(RouteName(Method::kPut, kObject, {{"encryption", ""}}) == "NotImplemented");
  assert_true(RouteName(Method::kPut, kBucket, {{"object-lock", ""}}) ==
              "PutObjectLockConfiguration");
  assert_true(RouteName(Method::kGet, kBucket, {{"versions", ""}}) == "ListObjectVersions");
  assert_true(RouteName(Method::kGet, kObject, {{"versions", ""}}) == "NotImplemented");
  assert_true(RouteName(Method::kGet, kObject, {{"tagging", ""}}) == "GetObjectTagging");
  assert_true(RouteName(Method::kDelete, kObject, {{"tagging", ""}}) == "DeleteObjectTagging");
  assert_true(RouteName(Method::kPut, kObject, {{"tagging", ""}}) == "PutObjectTagging");
  assert_true(RouteName(Method::kPost, kObject, {{"tagging", ""}}) == "NotImplemented");
  assert_true(RouteName(Method::kPut, kObject, {{"acl", ""}}) == "PutObjectAcl");
  assert_true(RouteName(Method::kDelete, kObject, {{"acl", ""}}) == "NotImplemented");
  assert_true(RouteName(Method::kGet, kObject, {{"retention", ""}}) == "GetObjectRetention");
  assert_true(RouteName(Method::kPut, kObject, {{"legal-hold", ""}}) == "PutObjectLegalHold");
  assert_true(RouteName(Method::kDelete, kObject, {{"retention", ""}}) == "NotImplemented");
  assert_true(RouteName(Method::kGet, kObject, {{"acl", ""}, {"tagging", ""}}) == "NotImplemented");
  // 501 for NotImplemented.
  std::vector<http::QueryParam> q = Q({{"analytics", ""}});
  assert_int_equal(Route(Method::kGet, kBucket, q, false).error.info().http_status, 501);
}

void test_wrong_method(void** state) {
  (void)state;
  using enum ResourceKind;
  assert_true(RouteName(Method::kPost, kObject, {}) == "MethodNotAllowed");
  assert_true(RouteName(Method::kPost, kBucket, {}) == "MethodNotAllowed");
  assert_true(RouteName(Method::kPut, kService, {}) == "MethodNotAllowed");
  assert_true(RouteName(Method::kDelete, kService, {}) == "MethodNotAllowed");
  assert_true(RouteName(Method::kOptions, kObject, {}) == "MethodNotAllowed");
  assert_true(RouteName(Method::kOther, kObject, {}) == "NotImplemented");
  std::vector<http::QueryParam> none;
  RouteMatch r = Route(Method::kPost, kObject, none, false);
  assert_null(r.entry);
  assert_int_equal(r.error.info().http_status, 405);
  // POST ?uploads on a bucket is not CreateMultipartUpload.
  assert_true(RouteName(Method::kPost, kBucket, {{"uploads", ""}}) != "CreateMultipartUpload");
}

void test_table_is_consistent(void** state) {
  (void)state;
  // Every OpId has exactly one name and no two entries are identical matches.
  std::span<const RouteEntry> table = RouteTable();
  for (size_t op = 0; op < static_cast<size_t>(OpId::kCount); ++op) {
    assert_true(OpName(static_cast<OpId>(op)) != "Unknown");
  }
  for (size_t i = 0; i < table.size(); ++i) {
    for (size_t j = i + 1; j < table.size(); ++j) {
      const RouteEntry& a = table[i];
      const RouteEntry& b = table[j];
      bool same = a.method == b.method && a.kind == b.kind && a.copy_source == b.copy_source &&
                  a.query[0] == b.query[0] && a.query[1] == b.query[1];
      assert_false(same);
    }
  }
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_service_and_bucket_routes), cmocka_unit_test(test_object_routes),
      cmocka_unit_test(test_unsupported_subresources),  cmocka_unit_test(test_wrong_method),
      cmocka_unit_test(test_table_is_consistent),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
