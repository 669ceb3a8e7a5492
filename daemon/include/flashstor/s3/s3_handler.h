// S3Handler: the http::Handler of the S3 API. Per request: trace id, admin paths, bucket/key,
// SigV4 authentication, body wrapping (SHA-256 / aws-chunked / trailers), routing, the
// operation, the error document, and a RequestSummary for audit log and metrics.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "flashstor/auth/sigv4.h"
#include "flashstor/http/exchange.h"
#include "flashstor/object/object_layer.h"

namespace flashstor::iam {
class IamStore;
class JwtVerifier;
}  // namespace flashstor::iam

namespace flashstor::notify {
class Notifier;
}  // namespace flashstor::notify

namespace flashstor::s3 {
namespace sse {
class KeyStore;
}
namespace kms {
class KeyManager;
}

class Authorizer;
class IamApi;

struct S3Config {
  std::string region = "us-east-1";
  // Virtual-hosted style: requests for Host "<bucket>.<domain>[:port]". Empty: path-style only.
  std::string domain;
  std::string owner_id = "02d6176db174dc93cb1b899f7c6078f08654445fe8cf1b6ce98d8855f66bdbf4";
  std::string owner_display_name = "flashstor";
  std::string host_id = "flashstor";  // x-amz-id-2 (a node identifier, not secret)
  // AWS's legacy us-east-1 behaviour: re-creating a bucket you own answers 200 there, 409
  // BucketAlreadyOwnedByYou everywhere else. Off by default: 409 in every region (as MinIO
  // answers, and what clients that create-then-check expect).
  bool us_east_1_recreate_ok = false;
  // Length of a lifecycle day (x-amz-expiration); shortened by --lifecycle-day-seconds.
  int64_t lifecycle_day_ns = 86'400'000'000'000;
  // Server-side encryption (sse_keys.h): the master keys of SSE-S3 (null: SSE-S3 refused),
  // and whether SSE-C keys may travel over plain HTTP (tests only; AWS requires TLS).
  std::shared_ptr<const sse::KeyStore> sse_keys;
  // SSE-KMS keys (kms_keys.h); null without a master key (SSE-KMS refused).
  std::shared_ptr<kms::KeyManager> kms;
  bool sse_c_allow_http = false;
  // Webhook targets of bucket event notifications; null when none is configured.
  ::flashstor::notify::Notifier* notifier = nullptr;
  // The request's server-side deadline (RequestContext): this allowance from the head's
  // arrival plus its announced body at min_bytes_per_s (the transfer budget's deadline rate,
  // --request-timeout-rate). Either zero: no deadline. --operation-timeout.
  int64_t operation_timeout_ms = 60'000;
  uint64_t min_bytes_per_s = 64 * 1024;
};

// What happened in one request; views valid only during on_request(). Never holds secrets.
struct RequestSummary {
  std::string_view trace_id;
  std::string_view operation;  // "PutObject"; "Admin" for admin paths
  std::string_view bucket;
  std::string_view key;
  int http_status = 0;
  std::string_view error_code;  // S3 error code, empty on success
  uint64_t bytes_in = 0;        // request body bytes read
  uint64_t bytes_out = 0;       // response body bytes sent
  std::string_view access_key;  // access key id, empty when anonymous
  std::string_view remote_address;
  std::string_view user_agent;
  uint64_t duration_ns = 0;
  // Refused by authentication or authorisation: who, what, where, and what decided.
  bool denied = false;
  std::string_view principal, action, resource, decided_by;
};

class RequestObserver {
 public:
  virtual ~RequestObserver() = default;
  // Called on the worker thread after each response; must not block for long.
  virtual void on_request(const RequestSummary& summary) = 0;
};

class S3Handler final : public http::Handler {
 public:
  // References must outlive the handler. Thread-safe: one handler serves every worker.
  S3Handler(object::ObjectLayer& layer, const auth::SigV4Verifier& verifier, S3Config config);
  ~S3Handler() override;

  // Serves "/metrics", "/health/live", "/health/ready" and "/flashstor/admin/..." (may be
  // null: those paths are then S3 paths). Set before serving.
  void set_admin_handler(http::Handler* admin) { admin_ = admin; }
  void set_observer(RequestObserver* observer) { observer_ = observer; }
  // IAM users, policies and the IAM API (authorizer.h, iam_api.h). Without it, only signed
  // requests are served and every signed request is allowed (root only). Set before serving.
  // STS (sts_api.h) comes with it: sts_min_duration_seconds is the shortest session (900 as
  // AWS; tests lower it), web_identity the OIDC verifier (nullptr: web identity refused).
  void set_iam(iam::IamStore* store, int64_t sts_min_duration_seconds = 900,
               std::shared_ptr<const iam::JwtVerifier> web_identity = nullptr);
  const S3Config& config() const { return config_; }

  void serve(http::Exchange& exchange) override;

  // True for the paths set_admin_handler() takes (raw request path).
  static bool IsAdminPath(std::string_view path);
  // 16 uppercase hex chars, unique per process and thread (counter mixed with start time).
  static std::array<char, 16> NewTraceId();
  // Frees the GET copy buffers kept for reuse (the idle trim; GETs in flight keep theirs).
  static void ReleaseCopyBuffers();

 private:
  object::ObjectLayer& layer_;
  const auth::SigV4Verifier& verifier_;
  S3Config config_;
  http::Handler* admin_ = nullptr;
  RequestObserver* observer_ = nullptr;
  std::unique_ptr<Authorizer> authorizer_;
  std::unique_ptr<IamApi> iam_api_;
};

}  // namespace flashstor::s3
