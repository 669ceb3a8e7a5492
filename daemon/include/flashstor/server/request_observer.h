// RequestObserver: feeds each finished S3 request to the audit log (through the calling
// worker's own SPSC ring), the Prometheus request metrics, and a debug-level log line.
#pragma once

#include "flashstor/obs/audit_log.h"
#include "flashstor/obs/request_metrics.h"
#include "flashstor/s3/s3_handler.h"

namespace flashstor::server {

class RequestObserver final : public s3::RequestObserver {
 public:
  // audit may be null (no audit trail configured).
  RequestObserver(obs::AuditLog* audit, obs::RequestMetrics& metrics)
      : audit_(audit), metrics_(metrics) {}

  void on_request(const s3::RequestSummary& summary) override;

 private:
  obs::AuditLog* audit_;
  obs::RequestMetrics& metrics_;
};

}  // namespace flashstor::server
