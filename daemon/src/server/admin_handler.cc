// AdminHandler: metrics, health and heal endpoints. Small bodies only; never streams.
#include "flashstor/server/admin_handler.h"

#include <ctime>
#include <string>

#include "flashstor/http/uri.h"
#include "flashstor/obs/metrics.h"

namespace flashstor::server {
namespace {

void SendText(http::Exchange& ex, int status, std::string_view type, std::string_view body) {
  http::ResponseWriter& r = ex.response();
  r.set_status(status);
  r.add_header("Content-Type", type);
  (void)r.send(body);
}

std::string JsonEscape(std::string_view in) {
  std::string out;
  for (unsigned char c : in) {
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(c));
    } else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\u%04x", c);
      out += buf;
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  return out;
}

}  // namespace

bool AdminHandler::authorize(http::Exchange& ex, bool require_root) {
  const http::Request& req = ex.request();
  auto params = http::ParseQuery(req.query, ex.arena());
  Result<auth::AuthContext> ctx =
      params ? verifier_.verify(req, *params, std::time(nullptr)) : std::unexpected(params.error());
  if (ctx && !ctx->anonymous && (!require_root || ctx->is_root)) return true;
  SendText(ex, 403, "application/json", "{\"error\":\"AccessDenied\"}");
  return false;
}

void AdminHandler::serve(http::Exchange& ex) {
  const http::Request& req = ex.request();
  std::string_view path = req.path;
  if (path == "/health/live" || path == "/health/ready") {
    obs::HealthResponse h = path == "/health/live" ? health_.live() : health_.ready();
    return SendText(ex, h.http_status, obs::HealthResponse::kContentType, h.body);
  }
  if (path == "/metrics") {
    if (req.method != http::Method::kGet && req.method != http::Method::kHead) {
      return SendText(ex, 405, "text/plain", "method not allowed\n");
    }
    if (!metrics_public_ && !authorize(ex, false)) return;
    return SendText(ex, 200, obs::kMetricsContentType, obs::RenderMetrics());
  }
  if (path == "/flashstor/admin/heal") return serve_heal(ex);
  SendText(ex, 404, "application/json", "{\"error\":\"NotFound\"}");
}

// POST /flashstor/admin/heal?bucket=B&key=K heals one object and reports what it fixed.
void AdminHandler::serve_heal(http::Exchange& ex) {
  const http::Request& req = ex.request();
  if (req.method != http::Method::kPost) {
    return SendText(ex, 405, "application/json", "{\"error\":\"MethodNotAllowed\"}");
  }
  if (!authorize(ex, true)) return;
  auto params = http::ParseQuery(req.query, ex.arena());
  const http::QueryParam* bucket = params ? http::FindParam(*params, "bucket") : nullptr;
  const http::QueryParam* key = params ? http::FindParam(*params, "key") : nullptr;
  if (bucket == nullptr || key == nullptr) {
    return SendText(ex, 400, "application/json", "{\"error\":\"bucket and key are required\"}");
  }
  object::HealResult r = layer_.heal_object(bucket->value, key->value);
  std::string body = "{\"bucket\":\"" + JsonEscape(r.bucket) + "\",\"key\":\"" +
                     JsonEscape(r.key) + "\",\"shards_healed\":" +
                     std::to_string(r.shards_healed) +
                     ",\"drives_missing\":" + std::to_string(r.drives_missing) +
                     ",\"status\":\"" + std::string(CodeName(r.status.code())) + "\"}\n";
  SendText(ex, r.status.ok() ? 200 : 500, "application/json", body);
}

}  // namespace flashstor::server
