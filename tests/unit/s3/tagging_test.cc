// Tag rule tests: AWS's limits and characters, the <Tagging> document and the x-amz-tagging
// header form.
#include <string>

#include "flashstor/mem/arena.h"
#include "flashstor/s3/tagging.h"

#include "cmocka_cpp.h"

using namespace flashstor;
using namespace flashstor::s3;

namespace {

ErrorId Check(object::Metadata tags, TagScope scope = TagScope::kObject) {
  return ValidateTags(tags, scope).id();
}

void test_limits(void** state) {
  (void)state;
  assert_int_equal(Check({{"k", ""}}), ErrorId::kOk);
  assert_int_equal(Check({{"Project Name", "a+b-c=d._:/@ 9"}}), ErrorId::kOk);
  assert_int_equal(Check({{"", "v"}}), ErrorId::kInvalidTag);
  assert_int_equal(Check({{std::string(128, 'k'), std::string(256, 'v')}}), ErrorId::kOk);
  assert_int_equal(Check({{std::string(129, 'k'), "v"}}), ErrorId::kInvalidTag);
  assert_int_equal(Check({{"k", std::string(257, 'v')}}), ErrorId::kInvalidTag);
  // Lengths count characters, not bytes: 128 two-byte letters are a valid key.
  std::string e_acute;
  for (int i = 0; i < 128; ++i) e_acute += "\xC3\xA9";
  assert_int_equal(Check({{e_acute, "v"}}), ErrorId::kOk);
  assert_int_equal(Check({{e_acute + "\xC3\xA9", "v"}}), ErrorId::kInvalidTag);
  assert_int_equal(Check({{"k", "\xC3"}}), ErrorId::kInvalidTag);  // truncated UTF-8
  assert_int_equal(Check({{"k*", "v"}}), ErrorId::kInvalidTag);
  assert_int_equal(Check({{"k", "v?"}}), ErrorId::kInvalidTag);
  assert_int_equal(Check({{"aws:cost", "v"}}), ErrorId::kInvalidTag);
  assert_int_equal(Check({{"AWS:cost", "v"}}), ErrorId::kInvalidTag);
  assert_int_equal(Check({{"k", "1"}, {"k", "2"}}), ErrorId::kInvalidTag);
  object::Metadata ten, eleven;
  for (int i = 0; i < 10; ++i) ten.emplace_back("k" + std::to_string(i), "v");
  eleven = ten;
  eleven.emplace_back("k10", "v");
  assert_int_equal(Check(ten), ErrorId::kOk);
  assert_int_equal(Check(eleven), ErrorId::kBadRequest);
  assert_int_equal(Check(eleven, TagScope::kBucket), ErrorId::kOk);
  object::Metadata fifty_one;
  for (int i = 0; i < 51; ++i) fifty_one.emplace_back("k" + std::to_string(i), "v");
  assert_int_equal(Check(fifty_one, TagScope::kBucket), ErrorId::kBadRequest);
}

void test_xml(void** state) {
  (void)state;
  object::Metadata tags;
  assert_true(ParseTaggingXml("<Tagging xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><TagSet>"
                              "<Tag><Key>a</Key><Value>1</Value></Tag>"
                              "<Tag><Key>b</Key><Value></Value></Tag></TagSet></Tagging>",
                              TagScope::kObject, tags)
                  .ok());
  assert_int_equal(tags.size(), 2);
  assert_true(tags[0].first == "a" && tags[0].second == "1");
  assert_true(tags[1].first == "b" && tags[1].second.empty());
  object::Metadata back;
  assert_true(ParseTaggingXml(TaggingXml(tags), TagScope::kObject, back).ok());
  assert_true(back == tags);
  assert_true(ParseTaggingXml("<Tagging><TagSet/></Tagging>", TagScope::kObject, back).ok());
  assert_true(back.empty());
  auto id = [](std::string_view xml) {
    object::Metadata t;
    return ParseTaggingXml(xml, TagScope::kObject, t).id();
  };
  assert_int_equal(id("<Tagging/>"), IdOf(Code::kMalformedXml));
  assert_int_equal(id("<Tags><TagSet/></Tags>"), IdOf(Code::kMalformedXml));
  assert_int_equal(id("<Tagging><TagSet><Tag><Key>a</Key></Tag></TagSet></Tagging>"),
                   IdOf(Code::kMalformedXml));
  assert_int_equal(id("<Tagging><TagSet><Tag><Value>a</Value></Tag></TagSet></Tagging>"),
                   IdOf(Code::kMalformedXml));
  assert_int_equal(id("<Tagging><TagSet><Tag><Key>aws:x</Key><Value/></Tag></TagSet></Tagging>"),
                   ErrorId::kInvalidTag);
}

void test_header(void** state) {
  (void)state;
  mem::Arena arena;
  object::Metadata tags;
  assert_true(ParseTaggingHeader("a=1&b%20c=x%2By+z&d=", arena, tags).ok());
  assert_int_equal(tags.size(), 3);
  assert_true(tags[1].first == "b c" && tags[1].second == "x+y z");
  assert_true(tags[2].first == "d" && tags[2].second.empty());
  assert_true(ParseTaggingHeader("", arena, tags).ok());
  assert_true(tags.empty());
  assert_int_equal(ParseTaggingHeader("a=1&a=2", arena, tags).id(), ErrorId::kInvalidTag);
  assert_int_equal(ParseTaggingHeader("a=%zz", arena, tags).id(), IdOf(Code::kInvalidArgument));
  assert_int_equal(ParseTaggingHeader("a=%00", arena, tags).id(), ErrorId::kInvalidTag);
  std::string many;
  for (int i = 0; i < 11; ++i) many += "k" + std::to_string(i) + "=v&";
  assert_int_equal(ParseTaggingHeader(many, arena, tags).id(), ErrorId::kBadRequest);
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_limits),
      cmocka_unit_test(test_xml),
      cmocka_unit_test(test_header),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
