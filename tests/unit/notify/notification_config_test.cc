// Unit tests of bucket notification configurations: AWS's documented example parses and
// round-trips through the canonical XML; AWS's validation errors (unknown ARN, unknown event,
// bad filter rules, overlapping rules); event/prefix/suffix matching.
#include <string>

#include "flashstor/notify/notification_config.h"

#include "cmocka_cpp.h"

using namespace flashstor;
using notify::ParseNotificationXml;

namespace {

constexpr const char* kArn = "arn:flashstor:sqs::hook:webhook";

bool Known(std::string_view arn) {
  return arn == kArn;
}

std::string Doc(const std::string& body) {
  return "<NotificationConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">" + body +
         "</NotificationConfiguration>";
}

std::string Queue(const std::string& id, const std::string& events, const std::string& prefix,
                  const std::string& suffix, const std::string& arn = kArn) {
  std::string q = "<QueueConfiguration>";
  if (!id.empty()) q += "<Id>" + id + "</Id>";
  q += "<Queue>" + arn + "</Queue>" + events;
  if (!prefix.empty() || !suffix.empty()) {
    q += "<Filter><S3Key>";
    if (!prefix.empty())
      q += "<FilterRule><Name>prefix</Name><Value>" + prefix + "</Value></FilterRule>";
    if (!suffix.empty())
      q += "<FilterRule><Name>suffix</Name><Value>" + suffix + "</Value></FilterRule>";
    q += "</S3Key></Filter>";
  }
  return q + "</QueueConfiguration>";
}

Code ParseCode(const std::string& body) {
  auto c = ParseNotificationXml(Doc(body), Known);
  return c ? Code::kOk : c.error().code();
}

void test_round_trip(void**) {
  const std::string doc =
      Doc(Queue("images", "<Event>s3:ObjectCreated:*</Event>", "images/", ".jpg") +
          Queue("", "<Event>s3:ObjectRemoved:Delete</Event><Event>s3:ObjectTagging:Put</Event>", "",
                ""));
  auto c = ParseNotificationXml(doc, Known);
  assert_true(c.has_value());
  assert_int_equal(c->rules.size(), 2);
  assert_true(c->rules[0].id == "images");
  assert_true(c->rules[0].prefix == "images/" && c->rules[0].suffix == ".jpg");
  assert_false(c->rules[1].id.empty());  // generated
  assert_int_equal(c->rules[1].events.size(), 2);
  std::string xml = notify::NotificationToXml(*c);
  auto again = ParseNotificationXml(xml, Known);
  assert_true(again.has_value());
  assert_true(notify::NotificationToXml(*again) == xml);
  // Empty configuration: no rules.
  auto empty = ParseNotificationXml(Doc(""), Known);
  assert_true(empty.has_value() && empty->rules.empty());
}

void test_validation(void**) {
  const std::string put = "<Event>s3:ObjectCreated:Put</Event>";
  // An ARN that names no configured target.
  auto c = ParseNotificationXml(Doc(Queue("a", put, "", "", "arn:aws:sqs:us-east-1:1:q")), Known);
  assert_false(c.has_value());
  assert_int_equal(c.error().code(), Code::kInvalidArgument);
  assert_true(c.error().message().find("Unable to validate") != std::string_view::npos);
  assert_int_equal(ParseCode(Queue("a", "<Event>s3:ObjectCreated:Nope</Event>", "", "")),
                   Code::kInvalidArgument);
  assert_int_equal(ParseCode(Queue("a", "<Event>s3:ObjectRestore:Post</Event>", "", "")),
                   Code::kInvalidArgument);
  assert_int_equal(ParseCode(Queue("a", "", "", "")), Code::kMalformedXml);  // no event
  assert_int_equal(ParseCode("<QueueConfiguration><Event>s3:ObjectCreated:Put</Event>"
                             "</QueueConfiguration>"),
                   Code::kMalformedXml);  // no ARN
  assert_int_equal(ParseCode("<Bogus/>"), Code::kMalformedXml);
  // Our targets are queues: a topic naming the same ARN is not one of ours.
  assert_int_equal(ParseCode("<TopicConfiguration><Topic>" + std::string(kArn) + "</Topic>" + put +
                             "</TopicConfiguration>"),
                   Code::kInvalidArgument);
  assert_int_equal(ParseCode("<EventBridgeConfiguration/>"), Code::kNotImplemented);
  assert_int_equal(
      ParseCode(Queue("a", put, "", "") + Queue("a", "<Event>s3:ObjectRemoved:*</Event>", "", "")),
      Code::kInvalidArgument);  // same Id
  // Filter rules: unknown name, two prefixes.
  assert_int_equal(
      ParseCode("<QueueConfiguration><Queue>" + std::string(kArn) + "</Queue>" + put +
                "<Filter><S3Key><FilterRule><Name>middle</Name><Value>x</Value></FilterRule>"
                "</S3Key></Filter></QueueConfiguration>"),
      Code::kInvalidArgument);
  assert_int_equal(
      ParseCode("<QueueConfiguration><Queue>" + std::string(kArn) + "</Queue>" + put +
                "<Filter><S3Key><FilterRule><Name>prefix</Name><Value>a</Value></FilterRule>"
                "<FilterRule><Name>Prefix</Name><Value>b</Value></FilterRule>"
                "</S3Key></Filter></QueueConfiguration>"),
      Code::kInvalidArgument);
  assert_int_equal(ParseCode("<QueueConfiguration><Queue>x</Queue>"), Code::kMalformedXml);
}

void test_overlap(void**) {
  const std::string all = "<Event>s3:ObjectCreated:*</Event>";
  const std::string put = "<Event>s3:ObjectCreated:Put</Event>";
  const std::string del = "<Event>s3:ObjectRemoved:*</Event>";
  // Same event type, overlapping prefixes, no suffix: ambiguous.
  assert_int_equal(ParseCode(Queue("a", all, "images/", "") + Queue("b", put, "images/x", "")),
                   Code::kInvalidArgument);
  assert_int_equal(ParseCode(Queue("a", put, "", "") + Queue("b", put, "", "")),
                   Code::kInvalidArgument);
  // Disjoint prefixes, disjoint suffixes or different event types: fine.
  assert_int_equal(ParseCode(Queue("a", put, "images/", "") + Queue("b", put, "logs/", "")),
                   Code::kOk);
  assert_int_equal(ParseCode(Queue("a", put, "", ".jpg") + Queue("b", put, "", ".png")), Code::kOk);
  assert_int_equal(ParseCode(Queue("a", put, "", "") + Queue("b", del, "", "")), Code::kOk);
}

void test_matching(void**) {
  auto c = ParseNotificationXml(
      Doc(Queue("jpg", "<Event>s3:ObjectCreated:*</Event>", "images/", ".jpg") +
          Queue("rm", "<Event>s3:ObjectRemoved:DeleteMarkerCreated</Event>", "", "") +
          Queue("tag", "<Event>s3:ObjectTagging:*</Event>", "t/", "")),
      Known);
  assert_true(c.has_value());
  auto ids = [&](std::string_view event, std::string_view key) {
    std::string out;
    for (const auto* r : notify::MatchingRules(*c, event, key)) out += r->id + ",";
    return out;
  };
  assert_string_equal(ids("ObjectCreated:Put", "images/a.jpg").c_str(), "jpg,");
  assert_string_equal(ids("ObjectCreated:CompleteMultipartUpload", "images/a.jpg").c_str(), "jpg,");
  assert_string_equal(ids("ObjectCreated:Put", "images/a.png").c_str(), "");
  assert_string_equal(ids("ObjectCreated:Put", "other/a.jpg").c_str(), "");
  assert_string_equal(ids("ObjectRemoved:Delete", "images/a.jpg").c_str(), "");
  assert_string_equal(ids("ObjectRemoved:DeleteMarkerCreated", "x").c_str(), "rm,");
  assert_string_equal(ids("ObjectTagging:Delete", "t/x").c_str(), "tag,");
  assert_true(notify::EventCovers("s3:ObjectCreated:*", "ObjectCreated:Copy"));
  assert_false(notify::EventCovers("s3:ObjectCreated:Put", "ObjectCreated:Copy"));
  assert_false(notify::EventCovers("s3:ObjectCreated:*", "ObjectRemoved:Delete"));
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_round_trip),
      cmocka_unit_test(test_validation),
      cmocka_unit_test(test_overlap),
      cmocka_unit_test(test_matching),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
