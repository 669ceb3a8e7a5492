// Unit tests of Block Public Access: the settings document (parse, refusals, canonical form)
// and AWS's definition of a public bucket policy.
#include <string>

#include "flashstor/iam/policy.h"
#include "s3/public_access_block.h"

#include "cmocka_cpp.h"

using namespace flashstor;
using namespace flashstor::s3;

namespace {

bool Public(const std::string& statement) {
  auto p = iam::ParsePolicy(R"({"Version":"2012-10-17","Statement":[)" + statement + "]}",
                            iam::PolicyKind::kResource);
  if (!p) fail_msg("parse failed: %s", p.error().reason.c_str());
  return PolicyIsPublic(*p);
}

void ParsesAndRefuses(void**) {
  auto pab = ParsePublicAccessBlock(
      "<PublicAccessBlockConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
      "<BlockPublicAcls>true</BlockPublicAcls><RestrictPublicBuckets>TRUE</RestrictPublicBuckets>"
      "</PublicAccessBlockConfiguration>");
  assert_true(pab.has_value());
  assert_true(pab->block_public_acls && pab->restrict_public_buckets);
  assert_false(pab->ignore_public_acls || pab->block_public_policy);
  auto again = ParsePublicAccessBlock(PublicAccessBlockXml(*pab));
  assert_true(again.has_value());
  assert_true(again->block_public_acls && again->restrict_public_buckets);
  assert_false(again->ignore_public_acls || again->block_public_policy);
  for (const char* bad : {
           "<PublicAccessBlockConfiguration><BlockPublicAcls>yes</BlockPublicAcls>"
           "</PublicAccessBlockConfiguration>",
           "<PublicAccessBlockConfiguration><Unknown>true</Unknown></"
           "PublicAccessBlockConfiguration>",
           "<PublicAccessBlockConfiguration><BlockPublicAcls>true</BlockPublicAcls>"
           "<BlockPublicAcls>false</BlockPublicAcls></PublicAccessBlockConfiguration>",
           "<Other/>",
           "",
       }) {
    assert_false(ParsePublicAccessBlock(bad).has_value());
  }
}

void PublicAsAwsDefinesIt(void**) {
  const std::string allow_all =
      R"({"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*")";
  assert_true(Public(allow_all + "}"));
  assert_true(Public(allow_all + R"(,"Condition":{"StringEquals":{"s3:prefix":"a"}}})"));
  assert_false(Public(allow_all + R"(,"Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}})"));
  assert_true(Public(allow_all + R"(,"Condition":{"IpAddress":{"aws:SourceIp":"0.0.0.0/0"}}})"));
  assert_false(
      Public(allow_all + R"(,"Condition":{"StringEquals":{"aws:SourceAccount":"111122223333"}}})"));
  assert_true(Public(allow_all + R"(,"Condition":{"StringLike":{"aws:SourceAccount":"1111*"}}})"));
  assert_false(Public(
      R"({"Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"})"));
  assert_false(Public(R"({"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::000000000000:user/a"},)"
                      R"("Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"})"));
  assert_true(
      Public(R"({"Effect":"Allow","NotPrincipal":{"AWS":"arn:aws:iam::000000000000:user/a"},)"
             R"("Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"})"));
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(ParsesAndRefuses),
      cmocka_unit_test(PublicAsAwsDefinesIt),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
