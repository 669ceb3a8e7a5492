// RequestMetrics: pre-resolved series per operation/status/code, updated per request.
#include "flashstor/obs/request_metrics.h"

#include <charconv>

namespace flashstor::obs {

bool IsAuthFailure(int http_status, std::string_view error_code) {
  return http_status == 403 && (error_code == "SignatureDoesNotMatch" ||
                                error_code == "InvalidAccessKeyId" || error_code == "AccessDenied");
}

RequestMetrics::RequestMetrics(MetricsRegistry& registry) : registry_(registry) {}

void RequestMetrics::observe(const RequestRecord& rec) {
  const std::string_view op = rec.operation.empty() ? "unknown" : rec.operation;
  OpSeries& s = *ops_.get(op, [this](std::string_view name) {
    auto series = std::make_unique<OpSeries>();
    series->op.assign(name);
    series->latency =
        &registry_.histogram("flashstor_s3_request_duration_seconds", {{"op", name}},
                             DefaultLatencyBuckets(), "S3 request latency by operation.");
    series->bytes_in = &registry_.counter("flashstor_s3_received_bytes_total", {{"op", name}},
                                          "Request body bytes received by operation.");
    series->bytes_out = &registry_.counter("flashstor_s3_sent_bytes_total", {{"op", name}},
                                           "Response body bytes sent by operation.");
    return series;
  });

  char status_buf[16];
  const int status = rec.http_status < 0 || rec.http_status > 999 ? 0 : rec.http_status;
  auto [end, ec] = std::to_chars(status_buf, status_buf + sizeof(status_buf), status);
  (void)ec;
  const std::string_view status_text(status_buf, static_cast<size_t>(end - status_buf));
  Counter* requests = s.by_status.get(status_text, [this, &s](std::string_view st) {
    return &registry_.counter("flashstor_s3_requests_total", {{"op", s.op}, {"status", st}},
                              "S3 requests by operation and HTTP status.");
  });
  requests->inc();
  s.latency->observe(static_cast<double>(rec.duration_ns) / 1e9);
  if (rec.bytes_in > 0) s.bytes_in->inc(rec.bytes_in);
  if (rec.bytes_out > 0) s.bytes_out->inc(rec.bytes_out);

  if (!rec.error_code.empty()) {
    errors_
        .get(rec.error_code,
             [this](std::string_view code) {
               return &registry_.counter("flashstor_s3_errors_total", {{"code", code}},
                                         "S3 error responses by error code.");
             })
        ->inc();
  }
  if (IsAuthFailure(rec.http_status, rec.error_code)) {
    auth_failures_
        .get(rec.error_code,
             [this](std::string_view code) {
               return &registry_.counter("flashstor_s3_auth_failures_total", {{"code", code}},
                                         "Rejected S3 requests: bad signature, unknown key, "
                                         "access denied.");
             })
        ->inc();
  }
}

}  // namespace flashstor::obs
