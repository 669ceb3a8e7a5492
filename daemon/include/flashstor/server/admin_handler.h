// AdminHandler: the server's own endpoints beside S3: /metrics (Prometheus, public or signed),
// /health/live, /health/ready, POST /flashstor/admin/heal (root only: one object, a
// bucket, or everything) and /flashstor/admin/kms/... (root only: the SSE-KMS keys).
#pragma once

#include <memory>
#include <string>

#include "flashstor/auth/sigv4.h"
#include "flashstor/http/exchange.h"
#include "flashstor/object/object_layer.h"
#include "flashstor/obs/health.h"

namespace flashstor::s3::kms {
class KeyManager;
}

namespace flashstor::server {

struct HealTotals {
  uint64_t objects = 0;
  uint64_t shards_healed = 0;
  uint64_t leftovers_removed = 0;  // keys whose cut-short write or delete was cleaned up
  uint64_t failed = 0;
};

class AdminHandler final : public http::Handler {
 public:
  AdminHandler(const auth::SigV4Verifier& verifier, object::ObjectLayer& layer, obs::Health& health,
               bool metrics_public)
      : verifier_(verifier), layer_(layer), health_(health), metrics_public_(metrics_public) {}

  void serve(http::Exchange& exchange) override;
  // metrics_access "token": /metrics also accepts "Authorization: Bearer <token>".
  void set_metrics_token(std::string token) { metrics_token_ = std::move(token); }
  // The SSE-KMS key manager (null: the kms endpoints answer 501) and the region of key ARNs.
  void set_kms(std::shared_ptr<s3::kms::KeyManager> kms, std::string region) {
    kms_ = std::move(kms);
    region_ = std::move(region);
  }

 private:
  // Signed-request check; sends the 403 itself and returns false when denied.
  bool authorize(http::Exchange& exchange, bool require_root);
  void serve_heal(http::Exchange& exchange);
  bool check_heal_bucket(http::Exchange& exchange, std::string_view bucket);
  HealTotals heal_bucket(std::string_view bucket);
  void serve_kms(http::Exchange& exchange);  // admin_kms_endpoint.cc

  const auth::SigV4Verifier& verifier_;
  object::ObjectLayer& layer_;
  obs::Health& health_;
  bool metrics_public_;
  std::string metrics_token_;  // never logged
  std::shared_ptr<s3::kms::KeyManager> kms_;
  std::string region_;
};

}  // namespace flashstor::server
