// AdminHandler: metrics, health and heal endpoints. Small bodies only; never streams.
#include "flashstor/server/admin_handler.h"

#include <ctime>
#include <string>

#include "flashstor/http/uri.h"
#include "flashstor/obs/json_string.h"
#include "flashstor/obs/metrics.h"

namespace flashstor::server {
namespace {

void SendText(http::Exchange& ex, int status, std::string_view type, std::string_view body) {
  http::ResponseWriter& r = ex.response();
  r.set_status(status);
  r.add_header("Content-Type", type);
  (void)r.send(body);
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

// Heals every object of one bucket, page by page (the listing streams; nothing is held whole).
HealTotals AdminHandler::heal_bucket(std::string_view bucket) {
  HealTotals t;
  object::ListOptions opts;
  opts.max_keys = 1000;
  for (;;) {
    Result<object::ListResult> page = layer_.list_objects(bucket, opts);
    if (!page) {
      ++t.failed;
      break;
    }
    for (const object::ObjectInfo& o : page->objects) {
      object::HealResult r = layer_.heal_object(bucket, o.key);
      ++t.objects;
      t.shards_healed += r.shards_healed;
      if (!r.status.ok()) ++t.failed;
    }
    if (!page->truncated || page->objects.empty()) break;
    opts.start_after = page->objects.back().key;
  }
  return t;
}

// POST /flashstor/admin/heal?bucket=B&key=K heals one object; without key, the whole bucket;
// without bucket, every bucket. Reports what it repaired as one JSON object.
void AdminHandler::serve_heal(http::Exchange& ex) {
  const http::Request& req = ex.request();
  if (req.method != http::Method::kPost) {
    return SendText(ex, 405, "application/json", "{\"error\":\"MethodNotAllowed\"}");
  }
  if (!authorize(ex, true)) return;
  auto params = http::ParseQuery(req.query, ex.arena());
  const http::QueryParam* bucket = params ? http::FindParam(*params, "bucket") : nullptr;
  const http::QueryParam* key = params ? http::FindParam(*params, "key") : nullptr;
  if (bucket != nullptr && key != nullptr) {
    object::HealResult r = layer_.heal_object(bucket->value, key->value);
    std::string body = "{\"bucket\":";
    obs::AppendJsonString(body, r.bucket);
    body += ",\"key\":";
    obs::AppendJsonString(body, r.key);
    body += ",\"shards_healed\":" + std::to_string(r.shards_healed) +
            ",\"drives_missing\":" + std::to_string(r.drives_missing) + ",\"status\":\"" +
            std::string(CodeName(r.status.code())) + "\"}\n";
    return SendText(ex, r.status.ok() ? 200 : 500, "application/json", body);
  }
  std::vector<std::string> buckets;
  if (bucket != nullptr) {
    buckets.emplace_back(bucket->value);
  } else if (auto all = layer_.list_buckets()) {
    for (const object::BucketInfo& b : *all) buckets.push_back(b.name);
  }
  HealTotals total;
  for (const std::string& b : buckets) {
    HealTotals t = heal_bucket(b);
    total.objects += t.objects;
    total.shards_healed += t.shards_healed;
    total.failed += t.failed;
  }
  std::string body = "{\"buckets\":" + std::to_string(buckets.size()) +
                     ",\"objects\":" + std::to_string(total.objects) +
                     ",\"shards_healed\":" + std::to_string(total.shards_healed) +
                     ",\"failed\":" + std::to_string(total.failed) + "}\n";
  SendText(ex, total.failed == 0 ? 200 : 500, "application/json", body);
}

}  // namespace flashstor::server
