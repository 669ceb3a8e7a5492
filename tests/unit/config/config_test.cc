// Unit tests for ParseConfig/LoadConfig/RunConfigCheck: defaults, every field wrong, unknown
// and duplicate fields, bad JSON, file permissions and a missing file.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string>

#include "flashstor/config/config.h"
#include "flashstor/config/config_check.h"

#include "cmocka_cpp.h"

using namespace flashstor::config;

namespace {

const char* kBase = R"({"root_user":"admin","root_password":"s3cretpassw0rd",
  "drives":["/srv/flashstor/d{1...4}"]})";

// kBase with key set to the JSON value text (or removed when value is null).
std::string With(const char* key, const char* value) {
  cJSON* root = cJSON_Parse(kBase);
  cJSON_DeleteItemFromObject(root, key);
  if (value != nullptr) cJSON_AddItemToObject(root, key, cJSON_Parse(value));
  char* text = cJSON_PrintUnformatted(root);
  std::string out(text);
  cJSON_free(text);
  cJSON_Delete(root);
  return out;
}

void ExpectError(const std::string& text, const char* field, const char* reason) {
  ConfigResult r = ParseConfig(text);
  if (r) {
    print_error("accepted but should fail on %s: %s\n", field, text.c_str());
    fail();
  }
  if (r.error().field != field || r.error().reason.find(reason) == std::string::npos) {
    print_error("want \"%s: ...%s...\", got \"%s\"\n", field, reason, r.error().ToString().c_str());
    fail();
  }
}

void test_minimal_defaults(void**) {
  ConfigResult r = ParseConfig(kBase);
  assert_true(r.has_value());
  assert_string_equal(r->root_user.c_str(), "admin");
  assert_int_equal(r->drives.size(), 4);
  assert_string_equal(r->drives[3].c_str(), "/srv/flashstor/d4");
  assert_string_equal(r->region.c_str(), "us-east-1");
  assert_int_equal(r->listen.size(), 1);
  assert_string_equal(r->listen[0].address.c_str(), ":9000");
  assert_false(r->listen[0].tls);
  assert_false(r->parity.has_value());
  assert_true(r->metrics_access == MetricsAccess::kSigned);
  assert_true(r->log_level == LogLevel::kInfo);
  assert_true(r->audit.journald);
  assert_true(r->audit.file.empty());
}

void test_full_config(void**) {
  const char* text = R"({"root_user":"admin","root_password":"s3cretpassw0rd",
    "drives":["http://node{1...4}:9000/data{1...4}"],
    "listen":[{"address":"0.0.0.0:443","tls":true},{"address":"[::1]:9000"}],
    "certs_dir":"/etc/flashstor/certs","domain":"s3.example.com","region":"eu-west-1",
    "parity":4,"run_user":"flashstor","run_group":"flashstor","metrics_access":"public",
    "audit":{"file":"/var/log/flashstor/audit.log","journald":false},"log_level":"debug"})";
  ConfigResult r = ParseConfig(text);
  if (!r) print_error("%s\n", r.error().ToString().c_str());
  assert_true(r.has_value());
  assert_int_equal(r->drives.size(), 16);
  assert_string_equal(r->drives[1].c_str(), "http://node1:9000/data2");
  assert_int_equal(r->listen.size(), 2);
  assert_true(r->listen[0].tls);
  assert_false(r->listen[1].tls);
  assert_int_equal(*r->parity, 4);
  assert_true(r->metrics_access == MetricsAccess::kPublic);
  assert_true(r->log_level == LogLevel::kDebug);
  assert_false(r->audit.journald);
  assert_string_equal(r->audit.file.c_str(), "/var/log/flashstor/audit.log");
  assert_string_equal(r->run_group.c_str(), "flashstor");
}

void test_credentials_wrong(void**) {
  ExpectError(With("root_user", nullptr), "root_user", "required");
  ExpectError(With("root_user", R"("ab")"), "root_user", "3 to 128");
  ExpectError(With("root_user", R"("ad/min")"), "root_user", "may only contain");
  ExpectError(With("root_user", "42"), "root_user", "must be a string");
  ExpectError(With("root_password", nullptr), "root_password", "required");
  ExpectError(With("root_password", R"("short")"), "root_password", "8 to 256");
  ExpectError(With("root_password", R"("has a space")"), "root_password", "printable");
  ExpectError(With("root_password", R"("admin")"), "root_password", "8 to 256");
  std::string same = With("root_user", R"("samepassw0rd")");
  ExpectError(same.replace(same.find("s3cretpassw0rd"), 14, "samepassw0rd"), "root_password",
              "must differ");
}

void test_drives_wrong(void**) {
  ExpectError(With("drives", nullptr), "drives", "required");
  ExpectError(With("drives", "[]"), "drives", "at least one");
  ExpectError(With("drives", R"("/d1")"), "drives", "array");
  ExpectError(With("drives", R"(["/a","/b","data3"])"), "drives[2]", "not an absolute path");
  ExpectError(With("drives", R"(["/a",7])"), "drives[1]", "must be a string");
  ExpectError(With("drives", R"(["/d{1..4}"])"), "drives[0]", "not an ellipsis");
  ExpectError(With("drives", R"(["/d{1...4}","/d3"])"), "drives[1]", "duplicate drive");
  ExpectError(With("drives", R"(["/a/../b"])"), "drives[0]", "'..'");
  ExpectError(With("drives", R"(["ftp://h/d"])"), "drives[0]", "not an absolute path");
  ExpectError(With("drives", R"(["http://node1:9000"])"), "drives[0]", "no path");
  ExpectError(With("drives", R"(["http://node1:99999/d"])"), "drives[0]", "port");
  ExpectError(With("drives", R"(["/d{1...100}/e{1...100}"])"), "drives[0]", "more than");
}

void test_listen_wrong(void**) {
  ExpectError(With("listen", R"(":9000")"), "listen", "array");
  ExpectError(With("listen", "[]"), "listen", "at least one");
  ExpectError(With("listen", R"([{"tls":false}])"), "listen[0].address", "required");
  ExpectError(With("listen", R"([{"address":"9000"}])"), "listen[0].address", "missing ':port'");
  ExpectError(With("listen", R"([{"address":":70000"}])"), "listen[0].address", "port");
  ExpectError(With("listen", R"([{"address":"::1:9000"}])"), "listen[0].address", "IPv6");
  ExpectError(With("listen", R"([{"address":":1","tls":"yes"}])"), "listen[0].tls",
              "true or false");
  ExpectError(With("listen", R"([{"address":":1","port":2}])"), "listen[0].port", "unknown field");
  ExpectError(With("listen", R"([{"address":":443","tls":true}])"), "certs_dir", "required when");
  std::string many = "[";
  for (int i = 0; i < 17; ++i) many += std::string(i ? "," : "") + R"({"address":":1"})";
  ExpectError(With("listen", (many + "]").c_str()), "listen", "more than 16");
}

void test_other_fields_wrong(void**) {
  ExpectError(With("certs_dir", R"("certs")"), "certs_dir", "not an absolute path");
  ExpectError(With("domain", R"("S3.Example.com")"), "domain", "lower-case");
  ExpectError(With("domain", R"("a..b")"), "domain", "malformed");
  ExpectError(With("region", R"("us east")"), "region", "may only contain");
  ExpectError(With("region", R"("")"), "region", "1 to 32");
  ExpectError(With("parity", "-1"), "parity", "between 0 and 8");
  ExpectError(With("parity", "9"), "parity", "between 0 and 8");
  ExpectError(With("parity", "1.5"), "parity", "integer");
  ExpectError(With("parity", R"("2")"), "parity", "integer");
  ExpectError(With("parity", "3"), "parity", "half the number of drives");
  ExpectError(With("run_user", R"("Root!")"), "run_user", "must start");
  ExpectError(With("run_group", R"("flashstor")"), "run_group", "set run_user");
  ExpectError(With("metrics_access", R"("open")"), "metrics_access", "\"signed\" or \"token\"");
  ExpectError(With("audit", "true"), "audit", "must be an object");
  ExpectError(With("audit", R"({"file":"audit.log"})"), "audit.file", "not an absolute path");
  ExpectError(With("audit", R"({"journald":1})"), "audit.journald", "true or false");
  ExpectError(With("audit", R"({"syslog":true})"), "audit.syslog", "unknown field");
  ExpectError(With("log_level", R"("loud")"), "log_level", "one of");
  ExpectError(With("limits", R"({"min_rate_kib":-1})"), "limits.min_rate_kib", "whole number");
  ExpectError(With("limits", R"({"min_rate_window_s":0})"), "limits.min_rate_window_s",
              "from 1 to");
  ExpectError(With("limits", R"({"request_timeout_s":1.5})"), "limits.request_timeout_s",
              "whole number");
  ExpectError(With("limits", R"({"slowloris":1})"), "limits.slowloris", "unknown field");
  ExpectError(With("limits", R"({"drive_timeout_s":0})"), "limits.drive_timeout_s", "from 1 to");
  ExpectError(With("limits", R"({"drive_probe_interval_s":3601})"), "limits.drive_probe_interval_s",
              "from 1 to");
  ConfigResult limits = ParseConfig(
      With("limits", R"({"request_timeout_s":900,"min_rate_kib":8,"max_requests_per_client":0})"));
  assert_true(limits.has_value());
  assert_int_equal(*limits->limits.request_timeout_s, 900);
  assert_int_equal(*limits->limits.min_rate_kib, 8);
  assert_int_equal(*limits->limits.max_requests_per_client, 0);
  assert_false(limits->limits.stall_restart_s.has_value());
  ConfigResult drives = ParseConfig(With(
      "limits", R"({"drive_timeout_s":10,"drive_meta_timeout_s":2,"drive_probe_interval_s":1})"));
  assert_true(drives.has_value());
  assert_int_equal(*drives->limits.drive_timeout_s, 10);
  assert_int_equal(*drives->limits.drive_meta_timeout_s, 2);
  assert_int_equal(*drives->limits.drive_probe_interval_s, 1);
  ConfigResult ok = ParseConfig(With("parity", "2"));
  assert_true(ok.has_value());
  assert_int_equal(*ok->parity, 2);
}

void test_structure_wrong(void**) {
  ExpectError(With("_comment", R"("hello")"), "_comment", "unknown field");
  ExpectError(With("rootUser", R"("admin")"), "rootUser", "unknown field");
  ExpectError(R"({"root_user":"admin","root_user":"other"})", "root_user", "duplicate field");
  ExpectError("{not json", "config", "not valid JSON");
  ExpectError("", "config", "not valid JSON");
  ExpectError(R"(["/d1"])", "config", "top level must be a JSON object");
  ExpectError(std::string(kBase) + " {}", "config", "trailing data");
  ExpectError(std::string(kMaxConfigBytes + 1, ' '), "config", "larger than 1 MiB");
  // A control character in an unknown key is not echoed raw into the error.
  ConfigResult r = ParseConfig("{\"a\\u0001b\":1}");
  assert_false(r.has_value());
  assert_string_equal(r.error().field.c_str(), "a?b");
}

std::string WriteTemp(const std::string& text, mode_t mode) {
  char path[] = "/tmp/flashstor-config-test-XXXXXX";
  const int fd = mkstemp(path);
  assert_true(fd >= 0);
  assert_int_equal(write(fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
  close(fd);
  assert_int_equal(chmod(path, mode), 0);
  return path;
}

void test_load_file(void**) {
  ConfigResult missing = LoadConfig("/nonexistent/flashstor.json");
  assert_false(missing.has_value());
  assert_non_null(strstr(missing.error().reason.c_str(), "cannot open"));

  const std::string good = WriteTemp(kBase, 0600);
  assert_true(LoadConfig(good).has_value());
  assert_int_equal(RunConfigCheck(good.c_str()), 0);

  assert_int_equal(chmod(good.c_str(), 0644), 0);
  ConfigResult world = LoadConfig(good);
  assert_false(world.has_value());
  assert_non_null(strstr(world.error().reason.c_str(), "0644"));
  assert_int_equal(RunConfigCheck(good.c_str()), 1);
  assert_int_equal(chmod(good.c_str(), 0640), 0);  // group-readable is allowed
  assert_true(LoadConfig(good).has_value());
  unlink(good.c_str());

  const std::string bad = WriteTemp(With("drives", R"(["rel"])"), 0600);
  ConfigResult r = LoadConfig(bad);
  assert_false(r.has_value());
  assert_string_equal(r.error().ToString().c_str(), "drives[0]: not an absolute path");
  assert_int_equal(RunConfigCheck(bad.c_str()), 1);
  unlink(bad.c_str());

  ConfigResult dir = LoadConfig("/tmp");
  assert_false(dir.has_value());
  assert_int_equal(RunConfigCheck(nullptr), 2);
  assert_int_equal(RunConfigCheck(""), 2);
}

}  // namespace

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_minimal_defaults),  cmocka_unit_test(test_full_config),
      cmocka_unit_test(test_credentials_wrong), cmocka_unit_test(test_drives_wrong),
      cmocka_unit_test(test_listen_wrong),      cmocka_unit_test(test_other_fields_wrong),
      cmocka_unit_test(test_structure_wrong),   cmocka_unit_test(test_load_file),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
