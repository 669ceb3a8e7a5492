// Unit tests of MultipartFormReader and the POST policy: framing across tiny reads,
// preamble and epilogue, bounded values, malformed bodies; policy parsing, expiration,
// conditions and the every-field-covered rule.
#include <algorithm>
#include <string>
#include <vector>

#include "multipart_form.h"
#include "post_policy.h"

#include "cmocka_cpp.h"

using namespace flashstor;
using namespace flashstor::s3;

namespace {

// Delivers a string in reads of at most `step` bytes.
class StringSource final : public DataSource {
 public:
  StringSource(std::string data, size_t step) : data_(std::move(data)), step_(step) {}
  Result<size_t> read(std::span<char> out) override {
    size_t n = std::min({out.size(), step_, data_.size() - pos_});
    std::copy_n(data_.data() + pos_, n, out.data());
    pos_ += n;
    return n;
  }

 private:
  std::string data_;
  size_t step_;
  size_t pos_ = 0;
};

const std::string kBody =
    "preamble\r\n"
    "--XyZ\r\n"
    "Content-Disposition: form-data; name=\"key\"\r\n\r\n"
    "user/${filename}\r\n"
    "--XyZ\r\n"
    "content-disposition: form-data; name=\"x-amz-meta-a\"\r\n\r\n"
    "line1\r\n--XyAnot-a-delimiter\r\n"
    "--XyZ  \r\n"
    "Content-Disposition: form-data; name=\"file\"; filename=\"a \\\"b\\\".txt\"\r\n"
    "Content-Type: text/plain\r\n\r\n"
    "file body\r\n--Xy\r\nstill body\r\n"
    "--XyZ--\r\nepilogue";

void test_reads_fields_and_file(void**) {
  for (size_t step : {1, 3, 7, 4096}) {
    StringSource src(kBody, step);
    MultipartFormReader reader(src, "XyZ");
    FormPart part;
    std::string value;
    auto more = reader.next_part(&part);
    assert_true(more && *more);
    assert_string_equal(part.name.c_str(), "key");
    assert_true(*reader.read_value(100, value));
    assert_string_equal(value.c_str(), "user/${filename}");
    more = reader.next_part(&part);
    assert_true(more && *more);
    assert_string_equal(part.name.c_str(), "x-amz-meta-a");
    // A value longer than the bound: false, not an error.
    auto fits = reader.read_value(5, value);
    assert_true(fits.has_value() && !*fits);
    more = reader.next_part(&part);  // skips the rest of the value
    assert_true(more && *more);
    assert_string_equal(part.name.c_str(), "file");
    assert_true(part.has_filename);
    assert_string_equal(part.filename.c_str(), "a \"b\".txt");
    assert_string_equal(part.content_type.c_str(), "text/plain");
    assert_true(*reader.read_value(1000, value));
    assert_string_equal(value.c_str(), "file body\r\n--Xy\r\nstill body");
    more = reader.next_part(&part);
    assert_true(more && !*more);
  }
}

void test_malformed(void**) {
  const std::string cases[] = {
      "--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nno end",
      "--XyZ\r\nContent-Type: text/plain\r\n\r\nno disposition\r\n--XyZ--",
      "--XyZ\r\nContent-Disposition: attachment; name=\"a\"\r\n\r\nv\r\n--XyZ--",
      "no delimiter at all",
      "--XyZ\r\n" + std::string(5000, 'h') + "\r\n\r\nv\r\n--XyZ--",
      std::string(70 * 1024, 'p') +
          "\r\n--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nv\r\n--XyZ--",
  };
  for (const std::string& body : cases) {
    StringSource src(body, 100);
    MultipartFormReader reader(src, "XyZ");
    FormPart part;
    std::string value;
    bool failed = false;
    for (int i = 0; i < 5 && !failed; ++i) {
      auto more = reader.next_part(&part);
      if (!more) {
        failed = more.error().code() == Code::kInvalidArgument;
        break;
      }
      if (!*more) break;
      auto fits = reader.read_value(100, value);
      if (!fits) failed = fits.error().code() == Code::kInvalidArgument;
    }
    assert_true(failed);
  }
}

void test_boundary(void**) {
  assert_string_equal(std::string(FormBoundary("multipart/form-data; boundary=abc")).c_str(),
                      "abc");
  assert_string_equal(
      std::string(FormBoundary("Multipart/Form-Data;charset=x; boundary=\"a b\"")).c_str(), "a b");
  assert_true(FormBoundary("multipart/mixed; boundary=abc").empty());
  assert_true(FormBoundary("multipart/form-data").empty());
  assert_true(FormBoundary("multipart/form-data; boundary=" + std::string(71, 'a')).empty());
}

void test_policy(void**) {
  auto p = ParsePostPolicy(R"({"expiration": "2030-01-01T00:00:00.000Z", "conditions": [
      {"bucket": "b"}, ["starts-with", "$key", "user/"], ["eq", "$Content-Type", "text/plain"],
      ["content-length-range", 1, 100], {"x-amz-meta-a": "v"}]})");
  assert_true(p.has_value());
  assert_int_equal(p->min_length, 1);
  assert_int_equal(p->max_length, 100);
  std::vector<PostField> fields = {{"key", "user/x"},
                                   {"content-type", "text/plain"},
                                   {"x-amz-meta-a", "v"},
                                   {"policy", "..."},
                                   {"x-ignore-me", "1"}};
  std::string why;
  const std::time_t now = 1700000000;
  assert_true(CheckPostPolicy(*p, fields, "b", now, &why));
  assert_false(CheckPostPolicy(*p, fields, "other", now, &why));
  assert_string_equal(why.c_str(), "Policy Condition failed: {\"bucket\":\"b\"}");
  assert_false(CheckPostPolicy(*p, fields, "b", 1893456000, &why));
  assert_string_equal(why.c_str(), "Policy expired.");
  fields[0].value = "admin/x";
  assert_false(CheckPostPolicy(*p, fields, "b", now, &why));
  fields[0].value = "user/x";
  fields.push_back({"acl", "private"});
  assert_false(CheckPostPolicy(*p, fields, "b", now, &why));
  assert_string_equal(why.c_str(), "Extra input fields: acl");

  for (
      const char* bad : {
          "not json",
          R"({"conditions": []})",
          R"({"expiration": "tomorrow", "conditions": []})",
          R"({"expiration": "2030-01-01T00:00:00Z"})",
          R"({"expiration": "2030-01-01T00:00:00Z", "conditions": [["gt", "$key", "a"]]})",
          R"({"expiration": "2030-01-01T00:00:00Z", "conditions": [["eq", "key", "a"]]})",
          R"({"expiration": "2030-01-01T00:00:00Z", "conditions": [{"a": "1", "b": "2"}]})",
          R"({"expiration": "2030-01-01T00:00:00Z", "conditions": [["content-length-range", 5, 1]]})",
          R"({"expiration": "2030-01-01T00:00:00Z", "conditions": [], "extra": 1})",
      }) {
    assert_false(ParsePostPolicy(bad).has_value());
  }
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_reads_fields_and_file),
      cmocka_unit_test(test_malformed),
      cmocka_unit_test(test_boundary),
      cmocka_unit_test(test_policy),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
