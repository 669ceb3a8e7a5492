// Unit tests of an S3 request's condition keys: the headers' s3:x-amz-acl,
// s3:x-amz-server-side-encryption, s3:object-lock-*, s3:RequestObjectTag/<key> and
// s3:RequestObjectTagKeys, s3:VersionId, s3:TlsVersion and a body's keys, each evaluated by a
// policy that names it; and s3:ExistingObjectTag/<key>, read from the object only when a policy
// asks, with cached decisions that follow the object's tags.
#include <ctime>
#include <string>
#include <vector>

#include "fake_object_layer.h"
#include "flashstor/iam/iam_store.h"
#include "flashstor/mem/arena.h"
#include "flashstor/object/bucket_metadata.h"
#include "s3/authorizer.h"

#include "cmocka_cpp.h"

using namespace flashstor;
using namespace flashstor::s3;

namespace {

constexpr std::string_view kResource = "arn:aws:s3:::b/k";

// Holds the request's headers and builds the AuthzRequest of an action on b/k.
struct Call {
  std::vector<http::Header> headers;
  http::Request req;
  mem::Arena arena;
  auth::AuthContext auth;

  explicit Call(std::vector<http::Header> h) : headers(std::move(h)) {
    req.headers = headers;
    auth.anonymous = false;
    auth.access_key = "AKIAEXAMPLE";
  }
  iam::RequestContext Context(std::string_view action, std::string_view version = {},
                              const iam::RequestContext::keys_type* body = nullptr) {
    AuthzRequest r{.auth = auth,
                   .action = action,
                   .resource = S3Arn("b", "k"),
                   .bucket = "b",
                   .query = {},
                   .remote_address = "10.0.0.1:1234",
                   .secure = true,
                   .http = &req,
                   .arena = &arena,
                   .key = "k",
                   .version_id = version,
                   .body_keys = body};
    iam::RequestContext ctx;
    AddRequestKeys(r, ctx);
    ctx.resource = kResource;  // r.resource dies with r
    return ctx;
  }
};

// An identity policy allowing action on b/k under one condition.
iam::Policy Allowing(std::string_view action, std::string_view condition) {
  std::string doc = R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":")" +
                    std::string(action) + R"(","Resource":"arn:aws:s3:::b/*","Condition":)" +
                    std::string(condition) + "}]}";
  auto policy = iam::ParsePolicy(doc, iam::PolicyKind::kIdentity);
  assert_true(policy.has_value());
  return std::move(*policy);
}

bool Allows(const iam::Policy& policy, const iam::RequestContext& ctx) {
  return iam::Evaluate(policy, ctx) == iam::Decision::kAllow;
}

std::string Value(const iam::RequestContext& ctx, const std::string& key) {
  auto it = ctx.keys.find(key);
  if (it == ctx.keys.end() || it->second.size() != 1) return "(absent)";
  return it->second[0];
}

void HeaderKeys(void**) {
  Call c({{"x-amz-acl", "bucket-owner-full-control"},
          {"X-Amz-Server-Side-Encryption", "AES256"},
          {"x-amz-copy-source", "/src/key"},
          {"x-amz-metadata-directive", "REPLACE"},
          {"x-amz-content-sha256", "UNSIGNED-PAYLOAD"}});
  iam::RequestContext ctx = c.Context("s3:PutObject");
  assert_string_equal(Value(ctx, "s3:x-amz-acl").c_str(), "bucket-owner-full-control");
  assert_string_equal(Value(ctx, "s3:x-amz-server-side-encryption").c_str(), "AES256");
  assert_string_equal(Value(ctx, "s3:x-amz-copy-source").c_str(), "/src/key");
  assert_string_equal(Value(ctx, "s3:x-amz-metadata-directive").c_str(), "REPLACE");
  assert_string_equal(Value(ctx, "s3:x-amz-content-sha256").c_str(), "UNSIGNED-PAYLOAD");
  assert_true(Allows(
      Allowing("s3:PutObject", R"({"StringEquals":{"s3:x-amz-acl":"bucket-owner-full-control"}})"),
      ctx));
  assert_false(
      Allows(Allowing("s3:PutObject", R"({"StringEquals":{"s3:x-amz-acl":"private"}})"), ctx));
  assert_true(Allows(
      Allowing("s3:PutObject", R"({"StringEquals":{"s3:x-amz-server-side-encryption":"AES256"}})"),
      ctx));
  // Without the header the key is absent: a condition on it does not hold.
  Call bare(std::vector<http::Header>{});
  iam::RequestContext none = bare.Context("s3:PutObject");
  assert_false(Allows(
      Allowing("s3:PutObject", R"({"StringEquals":{"s3:x-amz-server-side-encryption":"AES256"}})"),
      none));
  assert_true(Allows(Allowing("s3:PutObject", R"({"Null":{"s3:x-amz-acl":"true"}})"), none));
}

void ObjectLockHeaderKeys(void**) {
  // Ten days ahead, minus a little: the remaining days round up to 10.
  std::time_t until = std::time(nullptr) + 10 * 86400 - 30;
  std::tm tm{};
  gmtime_r(&until, &tm);
  char date[32];
  std::strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", &tm);
  Call c({{"x-amz-object-lock-mode", "GOVERNANCE"},
          {"x-amz-object-lock-retain-until-date", date},
          {"x-amz-object-lock-legal-hold", "ON"}});
  iam::RequestContext ctx = c.Context("s3:PutObject");
  assert_string_equal(Value(ctx, "s3:object-lock-mode").c_str(), "GOVERNANCE");
  assert_string_equal(Value(ctx, "s3:object-lock-retain-until-date").c_str(), date);
  assert_string_equal(Value(ctx, "s3:object-lock-remaining-retention-days").c_str(), "10");
  assert_string_equal(Value(ctx, "s3:object-lock-legal-hold").c_str(), "ON");
  assert_true(Allows(
      Allowing("s3:PutObject",
               R"({"NumericLessThanEquals":{"s3:object-lock-remaining-retention-days":"10"}})"),
      ctx));
  assert_false(
      Allows(Allowing("s3:PutObject",
                      R"({"NumericLessThan":{"s3:object-lock-remaining-retention-days":"10"}})"),
             ctx));
  assert_false(Allows(
      Allowing("s3:PutObject", R"({"StringEquals":{"s3:object-lock-mode":"COMPLIANCE"}})"), ctx));
}

void RequestObjectTagKeys(void**) {
  Call c(std::vector<http::Header>{{"x-amz-tagging", "Project=blue&team=a%20b"}});
  iam::RequestContext ctx = c.Context("s3:PutObject");
  assert_string_equal(Value(ctx, "s3:requestobjecttag/project").c_str(), "blue");
  assert_string_equal(Value(ctx, "s3:requestobjecttag/team").c_str(), "a b");
  assert_int_equal(ctx.keys["s3:requestobjecttagkeys"].size(), 2);
  assert_true(Allows(
      Allowing("s3:PutObject", R"({"StringEquals":{"s3:RequestObjectTag/Project":"blue"}})"), ctx));
  assert_false(Allows(
      Allowing("s3:PutObject", R"({"StringEquals":{"s3:RequestObjectTag/Project":"red"}})"), ctx));
  assert_true(
      Allows(Allowing("s3:PutObject", R"({"ForAllValues:StringEquals":{"s3:RequestObjectTagKeys":)"
                                      R"(["Project","team","owner"]}})"),
             ctx));
  assert_false(
      Allows(Allowing("s3:PutObject", R"({"ForAllValues:StringEquals":{"s3:RequestObjectTagKeys":)"
                                      R"(["Project"]}})"),
             ctx));
  // Only writes of an object carry new tags: a GET's x-amz-tagging means nothing.
  iam::RequestContext get = c.Context("s3:GetObject");
  assert_string_equal(Value(get, "s3:requestobjecttag/project").c_str(), "(absent)");
  // A body's tags (PutObjectTagging) as the operation hands them over.
  iam::RequestContext::keys_type body;
  AddRequestTagKeys({{"project", "green"}}, body);
  Call none(std::vector<http::Header>{});
  iam::RequestContext tagging = none.Context("s3:PutObjectTagging", {}, &body);
  assert_true(Allows(Allowing("s3:PutObjectTagging",
                              R"({"StringEquals":{"s3:RequestObjectTag/project":"green"}})"),
                     tagging));
}

void TlsVersionKey(void**) {
  Call c(std::vector<http::Header>{});
  iam::RequestContext plain = c.Context("s3:GetObject");
  assert_string_equal(Value(plain, "s3:tlsversion").c_str(), "(absent)");
  AuthzRequest r{.auth = c.auth,
                 .action = "s3:GetObject",
                 .resource = S3Arn("b", "k"),
                 .bucket = "b",
                 .query = {},
                 .remote_address = "10.0.0.1:1234",
                 .secure = true,
                 .tls_protocol = "TLSv1.3"};
  iam::RequestContext ctx;
  AddRequestKeys(r, ctx);
  ctx.resource = kResource;
  assert_string_equal(Value(ctx, "s3:tlsversion").c_str(), "1.3");
  assert_true(Allows(
      Allowing("s3:GetObject", R"({"NumericGreaterThanEquals":{"s3:TlsVersion":"1.2"}})"), ctx));
  assert_false(
      Allows(Allowing("s3:GetObject", R"({"NumericGreaterThan":{"s3:TlsVersion":"1.3"}})"), ctx));
}

void VersionIdKey(void**) {
  Call c(std::vector<http::Header>{});
  iam::RequestContext ctx = c.Context("s3:GetObjectVersion", "v123");
  assert_string_equal(Value(ctx, "s3:versionid").c_str(), "v123");
  assert_true(
      Allows(Allowing("s3:GetObjectVersion", R"({"StringEquals":{"s3:VersionId":"v123"}})"), ctx));
  assert_string_equal(Value(c.Context("s3:GetObject"), "s3:versionid").c_str(), "(absent)");
}

// A layer whose object b/k has the tags the test sets, counting metadata reads.
class TaggedLayer : public testing::FakeObjectLayer {
 public:
  object::Metadata tags;
  int reads = 0;
  Result<object::ObjectInfo> get_object_info(const object::RequestContext&, std::string_view bucket,
                                             std::string_view key, std::string_view,
                                             bool) override {
    ++reads;
    if (bucket != "b" || key != "k") return Err(Code::kNoSuchKey);
    object::ObjectInfo info;
    info.bucket = "b";
    info.key = "k";
    info.tags = tags;
    return info;
  }
};

struct TagFixture {
  TaggedLayer layer;
  std::unique_ptr<iam::IamStore> iam;
  std::unique_ptr<Authorizer> authz;
  auth::AuthContext anonymous;

  TagFixture() {
    auth::Credential root;
    root.access_key = "root";
    root.secret_key = "rootsecret1234";
    auto store = iam::IamStore::Open(root, {});
    assert_true(store.has_value());
    iam = std::move(*store);
    authz = std::make_unique<Authorizer>(layer, *iam);
    assert_true(layer.make_bucket({}, "b").ok());
  }
  void SetPolicy(const std::string& condition) {
    std::string doc = R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*",)"
                      R"("Action":["s3:GetObject","s3:PutObject"],"Resource":"arn:aws:s3:::b/*")";
    if (!condition.empty()) doc += R"(,"Condition":)" + condition;
    doc += "}]}";
    Status s = layer.update_bucket_metadata({}, "b", [&](object::BucketMetadata& m) {
      m.configs[std::string(object::kConfigPolicy)] = doc;
      return Status::Ok();
    });
    assert_true(s.ok());
  }
  bool Decide(std::string_view action, std::string_view key = "k") {
    return authz
        ->decide({.auth = anonymous,
                  .action = action,
                  .resource = S3Arn("b", key),
                  .bucket = "b",
                  .query = {},
                  .remote_address = "10.0.0.1:1",
                  .secure = false,
                  .key = key})
        .allowed;
  }
};

void ExistingTagsReadOnlyWhenAPolicyAsks(void**) {
  TagFixture f;
  f.layer.tags = {{"classification", "public"}};
  f.SetPolicy("");
  assert_true(f.Decide("s3:GetObject"));
  assert_int_equal(f.layer.reads, 0);  // no policy reads the tags: no metadata read
  f.SetPolicy(R"({"StringEquals":{"s3:ExistingObjectTag/classification":"public"}})");
  assert_true(f.Decide("s3:GetObject"));
  assert_int_equal(f.layer.reads, 1);
  assert_false(f.Decide("s3:GetObject", "other"));  // no such object: no tags
}

void CachedDecisionFollowsTheTags(void**) {
  TagFixture f;
  f.SetPolicy(R"({"StringEquals":{"s3:ExistingObjectTag/classification":"public"}})");
  f.layer.tags = {{"classification", "public"}};
  assert_true(f.Decide("s3:GetObject"));
  assert_true(f.Decide("s3:GetObject"));  // from the cache, with the tags compared
  f.layer.tags = {{"classification", "secret"}};
  assert_false(f.Decide("s3:GetObject"));
  f.layer.tags = {};
  assert_false(f.Decide("s3:GetObject"));
  f.layer.tags = {{"classification", "public"}};
  assert_true(f.Decide("s3:GetObject"));
}

void ExistingTagsNotForPutObject(void**) {
  // AWS: the key does not exist for PutObject (or DeleteObject); the condition fails.
  TagFixture f;
  f.layer.tags = {{"classification", "public"}};
  f.SetPolicy(R"({"StringEquals":{"s3:ExistingObjectTag/classification":"public"}})");
  assert_false(f.Decide("s3:PutObject"));
  assert_int_equal(f.layer.reads, 0);
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(HeaderKeys),
      cmocka_unit_test(ObjectLockHeaderKeys),
      cmocka_unit_test(RequestObjectTagKeys),
      cmocka_unit_test(VersionIdKey),
      cmocka_unit_test(TlsVersionKey),
      cmocka_unit_test(ExistingTagsReadOnlyWhenAPolicyAsks),
      cmocka_unit_test(CachedDecisionFollowsTheTags),
      cmocka_unit_test(ExistingTagsNotForPutObject),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
