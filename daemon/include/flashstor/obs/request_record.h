// RequestRecord: the per-request summary obs consumes (audit log, metrics). Plain views so the
// S3 layer can fill it from its own RequestSummary without allocating; obs copies what it keeps.
#pragma once

#include <cstdint>
#include <string_view>

namespace flashstor::obs {

// All views need only stay valid for the duration of the call that receives the record.
// Never put secrets here: access_key is the public access key id, not the secret.
struct RequestRecord {
  std::string_view trace_id;   // x-amz-request-id
  std::string_view operation;  // e.g. "PutObject"
  std::string_view bucket;
  std::string_view key;  // raw object key: arbitrary bytes, may be invalid UTF-8
  int http_status = 0;
  std::string_view error_code;  // S3 error code, empty on success
  uint64_t bytes_in = 0;
  uint64_t bytes_out = 0;
  std::string_view access_key;   // access key id; empty when anonymous
  std::string_view remote_addr;  // "ip:port"
  std::string_view user_agent;
  uint64_t duration_ns = 0;
  // Set when authentication or authorisation refused the request (never a secret, signature
  // or policy document): who, what, on which resource, and what decided.
  bool denied = false;
  std::string_view principal;   // user ARN, or "anonymous"
  std::string_view action;      // "s3:GetObject"
  std::string_view resource;    // "arn:aws:s3:::bucket/key"
  std::string_view decided_by;  // "bucket:policy:<Sid>", "implicit deny", "authentication: ..."
};

}  // namespace flashstor::obs
