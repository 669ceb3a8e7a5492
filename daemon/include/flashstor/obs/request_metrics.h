// RequestMetrics: turns each finished request (obs::RequestRecord) into S3 metrics: requests by
// op and status, latency histogram by op, bytes in/out, auth failures and errors by code.
#pragma once

#include <memory>
#include <string>

#include "flashstor/obs/metrics.h"
#include "flashstor/obs/request_record.h"
#include "flashstor/obs/series_cache.h"

namespace flashstor::obs {

// Series names (all in the registry passed to the constructor):
//   flashstor_s3_requests_total{op,status}           counter
//   flashstor_s3_request_duration_seconds{op}        histogram (DefaultLatencyBuckets)
//   flashstor_s3_received_bytes_total{op}            counter
//   flashstor_s3_sent_bytes_total{op}                counter
//   flashstor_s3_errors_total{code}                  counter (non-empty error_code)
//   flashstor_s3_auth_failures_total{code}           counter (403 with SignatureDoesNotMatch,
//                                                    InvalidAccessKeyId or AccessDenied)
// Threading: observe() is thread-safe and lock-free once a label combination has been seen
// (a hash probe per cache plus the atomic adds); the first sighting takes a mutex. Label
// cardinality is capped (operations 96, statuses per op 48, error codes 96; then "other").
class RequestMetrics {
 public:
  explicit RequestMetrics(MetricsRegistry& registry);
  void observe(const RequestRecord& rec);

 private:
  struct OpSeries {
    std::string op;  // the label value (may be "other" past the cardinality cap)
    Histogram* latency = nullptr;
    Counter* bytes_in = nullptr;
    Counter* bytes_out = nullptr;
    SeriesCache<Counter*, 64> by_status;
  };

  MetricsRegistry& registry_;
  SeriesCache<std::unique_ptr<OpSeries>, 128> ops_;
  SeriesCache<Counter*, 128> errors_;
  SeriesCache<Counter*, 8> auth_failures_;
};

// True for the S3 error codes RequestMetrics counts as authentication/authorisation failures.
bool IsAuthFailure(int http_status, std::string_view error_code);

}  // namespace flashstor::obs
