// Unit tests for obs::RequestMetrics: which series a request record updates, cardinality cap,
// and that the resulting exposition passes promtool.
#include <string>

#include "flashstor/obs/request_metrics.h"
#include "promtool_check.h"

// cmocka needs these C headers first, has no extern "C" of its own, and comes after the C++
// headers (its macros clash with <ios>).
#include "cmocka_cpp.h"

#define AssertNoProblems(text) assert_string_equal(PromtoolProblems(text).c_str(), "")

using namespace flashstor::obs;

static bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

static RequestRecord Rec(std::string_view op, int status, std::string_view code = {}) {
  RequestRecord r;
  r.operation = op;
  r.http_status = status;
  r.error_code = code;
  r.bytes_in = 100;
  r.bytes_out = 10;
  r.duration_ns = 3'000'000;  // 3 ms
  return r;
}

static void test_observe_updates_series(void**) {
  MetricsRegistry reg;
  RequestMetrics m(reg);
  m.observe(Rec("PutObject", 200));
  m.observe(Rec("PutObject", 200));
  m.observe(Rec("GetObject", 404, "NoSuchKey"));
  m.observe(Rec("GetObject", 403, "SignatureDoesNotMatch"));
  m.observe(Rec("GetObject", 403, "AccessDenied"));
  m.observe(Rec("", 400, "InvalidRequest"));

  assert_int_equal(
      reg.counter("flashstor_s3_requests_total", {{"op", "PutObject"}, {"status", "200"}}).value(),
      2);
  assert_int_equal(
      reg.counter("flashstor_s3_requests_total", {{"op", "GetObject"}, {"status", "403"}}).value(),
      2);
  assert_int_equal(reg.counter("flashstor_s3_received_bytes_total", {{"op", "PutObject"}}).value(),
                   200);
  assert_int_equal(reg.counter("flashstor_s3_sent_bytes_total", {{"op", "GetObject"}}).value(), 30);
  assert_int_equal(reg.counter("flashstor_s3_errors_total", {{"code", "NoSuchKey"}}).value(), 1);
  assert_int_equal(
      reg.counter("flashstor_s3_auth_failures_total", {{"code", "SignatureDoesNotMatch"}}).value(),
      1);
  assert_int_equal(
      reg.counter("flashstor_s3_auth_failures_total", {{"code", "AccessDenied"}}).value(), 1);
  const std::string text = reg.render();
  assert_false(Contains(text, "flashstor_s3_auth_failures_total{code=\"NoSuchKey\"}"));
  assert_true(Contains(text, "flashstor_s3_requests_total{op=\"unknown\",status=\"400\"} 1\n"));
  assert_true(Contains(
      text, "flashstor_s3_request_duration_seconds_bucket{op=\"PutObject\",le=\"0.0025\"} 0\n"));
  assert_true(Contains(
      text, "flashstor_s3_request_duration_seconds_bucket{op=\"PutObject\",le=\"0.005\"} 2\n"));
  assert_true(Contains(text, "flashstor_s3_request_duration_seconds_count{op=\"GetObject\"} 3\n"));
  AssertNoProblems(text);
}

static void test_auth_failure_classification(void**) {
  assert_true(IsAuthFailure(403, "SignatureDoesNotMatch"));
  assert_true(IsAuthFailure(403, "InvalidAccessKeyId"));
  assert_true(IsAuthFailure(403, "AccessDenied"));
  assert_false(IsAuthFailure(400, "AccessDenied"));
  assert_false(IsAuthFailure(403, "RequestTimeTooSkewed"));
  assert_false(IsAuthFailure(200, ""));
}

static void test_cardinality_capped(void**) {
  MetricsRegistry reg;
  RequestMetrics m(reg);
  for (int i = 0; i < 500; ++i) {
    const std::string op = "Op" + std::to_string(i);
    m.observe(Rec(op, 200));
  }
  const std::string text = reg.render();
  assert_true(Contains(text, "flashstor_s3_requests_total{op=\"other\",status=\"200\"}"));
  assert_false(Contains(text, "op=\"Op499\""));
  size_t series = 0;
  for (size_t pos = 0; (pos = text.find("flashstor_s3_requests_total{", pos)) != std::string::npos;
       ++pos) {
    ++series;
  }
  assert_true(series <= 97);  // 96 distinct + "other"
  AssertNoProblems(text);
}

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_observe_updates_series),
      cmocka_unit_test(test_auth_failure_classification),
      cmocka_unit_test(test_cardinality_capped),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
