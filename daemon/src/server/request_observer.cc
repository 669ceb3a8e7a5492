// RequestObserver: one RequestRecord per request into metrics, the audit ring, and the log.
#include "flashstor/server/request_observer.h"

#include <string>

#include "flashstor/obs/log.h"

namespace flashstor::server {

void RequestObserver::on_request(const s3::RequestSummary& s) {
  obs::RequestRecord rec;
  rec.trace_id = s.trace_id;
  rec.operation = s.operation;
  rec.bucket = s.bucket;
  rec.key = s.key;
  rec.http_status = s.http_status;
  rec.error_code = s.error_code;
  rec.bytes_in = s.bytes_in;
  rec.bytes_out = s.bytes_out;
  rec.access_key = s.access_key;
  rec.remote_addr = s.remote_address;
  rec.user_agent = s.user_agent;
  rec.duration_ns = s.duration_ns;
  rec.denied = s.denied;
  rec.principal = s.principal;
  rec.action = s.action;
  rec.resource = s.resource;
  rec.decided_by = s.decided_by;
  metrics_.observe(rec);
  if (audit_ != nullptr) {
    // Each worker thread owns one producer end; registered on its first request.
    thread_local obs::AuditProducer* producer = audit_->register_producer();
    if (producer != nullptr) producer->record(rec);
  }
  obs::Level level = s.http_status >= 500 ? obs::Level::kWarning : obs::Level::kDebug;
  if (!obs::LogEnabled(level)) return;
  std::string status = std::to_string(s.http_status);
  std::string duration = std::to_string(s.duration_ns / 1000);
  obs::Log(level, "request",
           {{"FLASHSTOR_TRACE_ID", s.trace_id},
            {"S3_OPERATION", s.operation},
            {"BUCKET", s.bucket},
            {"HTTP_STATUS", status},
            {"S3_ERROR", s.error_code},
            {"DURATION_US", duration},
            {"REMOTE_ADDR", s.remote_address}});
}

}  // namespace flashstor::server
