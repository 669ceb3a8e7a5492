// Unit tests of the "notify_webhook" config field: a valid target with defaults and limits,
// and each refusal (shape, id, endpoint, token path, limits, duplicates, count).
#include <string>

#include "flashstor/config/config.h"

#include "cmocka_cpp.h"

using namespace flashstor::config;

namespace {

std::string WithTargets(const std::string& targets) {
  return R"({"root_user":"admin","root_password":"s3cretpassw0rd","drives":["/d1","/d2"],)"
         R"("notify_webhook":)" +
         targets + "}";
}

std::string ErrorOf(const std::string& targets) {
  ConfigResult c = ParseConfig(WithTargets(targets));
  return c ? "" : c.error().ToString();
}

void test_valid_target(void**) {
  ConfigResult c = ParseConfig(
      WithTargets(R"([{"id":"hook-1","endpoint":"http://127.0.0.1:8080/in"},)"
                  R"({"id":"b","endpoint":"http://h/","auth_token_file":"/etc/t","queue_limit":5,)"
                  R"("queue_bytes_limit":65536}])"));
  assert_true(c.has_value());
  assert_int_equal(c->notify_webhook.size(), 2);
  assert_string_equal(c->notify_webhook[0].id.c_str(), "hook-1");
  assert_int_equal(c->notify_webhook[0].queue_limit, 10000);
  assert_int_equal(c->notify_webhook[1].queue_limit, 5);
  assert_int_equal(c->notify_webhook[1].queue_bytes_limit, 65536);
  assert_string_equal(c->notify_webhook[1].auth_token_file.c_str(), "/etc/t");
}

void test_refusals(void**) {
  assert_true(ErrorOf("{}").starts_with("notify_webhook:"));
  assert_true(ErrorOf(R"([{"endpoint":"http://h/"}])") == "notify_webhook[0].id: required");
  assert_true(ErrorOf(R"([{"id":"a"}])") == "notify_webhook[0].endpoint: required");
  assert_false(ErrorOf(R"([{"id":"a b","endpoint":"http://h/"}])").empty());
  assert_false(ErrorOf(R"([{"id":"a","endpoint":"https://h/"}])").empty());
  assert_false(ErrorOf(R"([{"id":"a","endpoint":"ftp://h/"}])").empty());
  assert_false(ErrorOf(R"([{"id":"a","endpoint":"http://h/","auth_token_file":"rel"}])").empty());
  assert_false(ErrorOf(R"([{"id":"a","endpoint":"http://h/","queue_limit":0}])").empty());
  assert_false(ErrorOf(R"([{"id":"a","endpoint":"http://h/","queue_bytes_limit":10}])").empty());
  assert_false(ErrorOf(R"([{"id":"a","endpoint":"http://h/","extra":1}])").empty());
  assert_true(ErrorOf(R"([{"id":"a","endpoint":"http://h/"},{"id":"a","endpoint":"http://g/"}])") ==
              "notify_webhook[1].id: duplicate target id");
  std::string many = "[";
  for (int i = 0; i < 17; ++i) {
    many += (i ? "," : "") + std::string(R"({"id":"t)") + std::to_string(i) +
            R"(","endpoint":"http://h/"})";
  }
  assert_false(ErrorOf(many + "]").empty());
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_valid_target),
      cmocka_unit_test(test_refusals),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
