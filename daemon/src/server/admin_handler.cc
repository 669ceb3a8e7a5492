// AdminHandler: metrics, health and heal endpoints. Small bodies only; never streams.
#include "flashstor/server/admin_handler.h"

#include <ctime>
#include <string>

#include "flashstor/http/uri.h"
#include "flashstor/obs/json_string.h"
#include "flashstor/obs/metrics.h"
#include "flashstor/s3/resource.h"
#include "flashstor/server/metrics_token.h"

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
    const BearerCheck bearer = CheckBearerToken(req, metrics_token_);
    if (bearer == BearerCheck::kInvalid && !metrics_public_) {
      return SendText(ex, 403, "application/json", "{\"error\":\"AccessDenied\"}");
    }
    if (!metrics_public_ && bearer != BearerCheck::kValid && !authorize(ex, false)) return;
    return SendText(ex, 200, obs::kMetricsContentType, obs::RenderMetrics());
  }
  if (path == "/flashstor/admin/heal") return serve_heal(ex);
  if (path.starts_with("/flashstor/admin/kms/")) return serve_kms(ex);
  SendText(ex, 404, "application/json", "{\"error\":\"NotFound\"}");
}

namespace {

// A heal that found the key absent is no failure: it may have removed leftovers of a write
// or delete that never completed, or the key was deleted meanwhile.
bool HealFailed(const object::HealResult& r) {
  return !r.status.ok() && r.status.code() != Code::kNoSuchKey;
}

// An admin heal walks whole buckets for as long as that takes (its client gets progress
// within the transfer budget): no deadline; lock waits keep Locker::kDefaultTimeout.
const object::RequestContext& AdminHealContext() {
  static const object::RequestContext ctx = object::RequestContext::Background("admin-heal");
  return ctx;
}

}  // namespace

// Heals every key of one bucket as the engine walks it (nothing is held whole), leftovers
// that no listing shows included.
HealTotals AdminHandler::heal_bucket(std::string_view bucket) {
  HealTotals t;
  Status s = layer_.heal_objects(AdminHealContext(), bucket, [&t](const object::HealResult& r) {
    ++t.objects;
    t.shards_healed += static_cast<uint64_t>(r.shards_healed);
    t.leftovers_removed += r.leftovers_removed > 0;
    t.failed += HealFailed(r);
    return true;
  });
  if (!s.ok()) ++t.failed;
  return t;
}

// Only buckets S3 could have created: system and reserved names (".flashstor.sys", "metrics")
// are refused with 400, a missing bucket is a 404. Sends the error itself.
bool AdminHandler::check_heal_bucket(http::Exchange& ex, std::string_view bucket) {
  if (!s3::CheckBucketName(bucket).empty()) {
    SendText(ex, 400, "application/json", "{\"error\":\"InvalidBucketName\"}");
    return false;
  }
  auto info = layer_.get_bucket_info(AdminHealContext(), bucket);
  if (!info && info.error() == Code::kNoSuchBucket) {
    SendText(ex, 404, "application/json", "{\"error\":\"NoSuchBucket\"}");
    return false;
  }
  return true;  // other failures show in the heal's own report
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
  if (bucket != nullptr && !check_heal_bucket(ex, bucket->value)) return;
  if (bucket != nullptr && key != nullptr) {
    object::HealResult r = layer_.heal_object(AdminHealContext(), bucket->value, key->value);
    std::string body = "{\"bucket\":";
    obs::AppendJsonString(body, r.bucket);
    body += ",\"key\":";
    obs::AppendJsonString(body, r.key);
    body += ",\"shards_healed\":" + std::to_string(r.shards_healed) +
            ",\"leftovers_removed\":" + std::to_string(r.leftovers_removed) +
            ",\"drives_missing\":" + std::to_string(r.drives_missing) + ",\"status\":\"" +
            std::string(CodeName(r.status.code())) + "\"}\n";
    // Absent: 404, unless the heal removed what a cut-short write or delete left behind.
    int code = HealFailed(r) ? 500 : r.status.ok() || r.leftovers_removed > 0 ? 200 : 404;
    return SendText(ex, code, "application/json", body);
  }
  std::vector<std::string> buckets;
  if (bucket != nullptr) {
    buckets.emplace_back(bucket->value);
  } else if (auto all = layer_.list_buckets(AdminHealContext())) {
    for (const object::BucketInfo& b : *all) buckets.push_back(b.name);
  }
  HealTotals total;
  for (const std::string& b : buckets) {
    HealTotals t = heal_bucket(b);
    total.objects += t.objects;
    total.shards_healed += t.shards_healed;
    total.leftovers_removed += t.leftovers_removed;
    total.failed += t.failed;
  }
  std::string body = "{\"buckets\":" + std::to_string(buckets.size()) +
                     ",\"objects\":" + std::to_string(total.objects) +
                     ",\"shards_healed\":" + std::to_string(total.shards_healed) +
                     ",\"leftovers_removed\":" + std::to_string(total.leftovers_removed) +
                     ",\"failed\":" + std::to_string(total.failed) + "}\n";
  SendText(ex, total.failed == 0 ? 200 : 500, "application/json", body);
}

}  // namespace flashstor::server
