// Loop endpoints: the health and metrics answers the event loop gives without a worker.
#include "flashstor/server/loop_endpoints.h"

#include <ctime>

#include "flashstor/http/uri.h"
#include "flashstor/obs/metrics.h"
#include "flashstor/server/metrics_token.h"

namespace flashstor::server {
namespace {

bool SignedByUser(const http::Request& req, mem::Arena& arena,
                  const auth::SigV4Verifier& verifier) {
  auto params = http::ParseQuery(req.query, arena);
  if (!params) return false;
  Result<auth::AuthContext> ctx = verifier.verify(req, *params, std::time(nullptr));
  return ctx && !ctx->anonymous;
}

}  // namespace

net::HttpServer::LoopResponder MakeLoopEndpoints(const obs::Health& health,
                                                 const auth::SigV4Verifier& verifier,
                                                 bool metrics_public, std::string metrics_token) {
  return [&health, &verifier, metrics_public, token = std::move(metrics_token)](
             const http::Request& req, mem::Arena& arena, net::LoopReply& reply) {
    if (req.method != http::Method::kGet && req.method != http::Method::kHead) return false;
    if (req.path == "/health/live" || req.path == "/health/ready") {
      obs::HealthResponse h = req.path == "/health/live" ? health.live() : health.ready();
      reply.status = h.http_status;
      reply.content_type = obs::HealthResponse::kContentType;
      reply.body = h.body;
      return true;
    }
    if (req.path != "/metrics") return false;
    const BearerCheck bearer = CheckBearerToken(req, token);
    if (!metrics_public && bearer != BearerCheck::kValid &&
        (bearer == BearerCheck::kInvalid || !SignedByUser(req, arena, verifier))) {
      const bool no_credentials = !token.empty() && !req.has_header("authorization");
      reply.status = no_credentials ? 401 : 403;
      reply.content_type = "application/json";
      reply.body = "{\"error\":\"AccessDenied\"}";
      return true;
    }
    reply.status = 200;
    reply.content_type = obs::kMetricsContentType;
    reply.body = obs::RenderMetrics();
    return true;
  };
}

}  // namespace flashstor::server
