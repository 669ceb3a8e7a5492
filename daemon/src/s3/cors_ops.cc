// CORS operations: Get/Put/DeleteBucketCors (a canonical <CORSConfiguration> in the bucket's
// settings), the preflight OPTIONS answer (before authentication, as browsers send it without
// credentials) and the CORS headers of ordinary responses. Parsed rules are cached per bucket,
// keyed on the stored document, so a request pays a map lookup and a string compare.
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "flashstor/s3/cors.h"
#include "flashstor/s3/xml_reader.h"
#include "op_context.h"

namespace flashstor::s3 {
namespace {

constexpr std::string_view kCorsVary =
    "Origin, Access-Control-Request-Headers, Access-Control-Request-Method";
constexpr size_t kMaxCachedConfigs = 1024;       // buckets; the cache starts over when full
constexpr size_t kMaxPreflightHeaderItems = 64;  // Access-Control-Request-Headers items

// The parsed rules of a stored CORS document (nullptr if it does not parse: never stored so).
std::shared_ptr<const CorsConfig> ParsedCors(std::string_view bucket, const std::string& doc) {
  struct Entry {
    std::string doc;
    std::shared_ptr<const CorsConfig> config;
  };
  static std::mutex mu;
  static std::unordered_map<std::string, Entry> cache;
  {
    std::lock_guard lock(mu);
    auto it = cache.find(std::string(bucket));
    if (it != cache.end() && it->second.doc == doc) return it->second.config;
  }
  auto config = std::make_shared<CorsConfig>();
  if (!ParseCorsXml(doc, *config).ok()) return nullptr;
  std::lock_guard lock(mu);
  if (cache.size() >= kMaxCachedConfigs) cache.clear();
  cache[std::string(bucket)] = Entry{doc, config};
  return config;
}

// The bucket's CORS rules; nullptr when the bucket has none (or does not exist: error set).
std::shared_ptr<const CorsConfig> BucketCors(object::ObjectLayer& layer,
                                             const object::RequestContext& rctx,
                                             std::string_view bucket, Status* error) {
  Result<std::shared_ptr<const object::BucketMetadata>> meta =
      layer.get_bucket_metadata(rctx, bucket);
  if (!meta) {
    if (error != nullptr) *error = meta.error();
    return nullptr;
  }
  const std::string* doc = (*meta)->config(object::kConfigCors);
  return doc == nullptr ? nullptr : ParsedCors(bucket, *doc);
}

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& s : items) {
    if (!out.empty()) out += ", ";
    out += s;
  }
  return out;
}

// The headers a matching rule grants (AWS: "*" for a rule open to every origin, else the
// origin itself with credentials allowed).
void AddRuleHeaders(http::ResponseWriter& resp, const CorsRule& rule, std::string_view origin) {
  bool any_origin = false;
  for (const std::string& o : rule.allowed_origins) {
    if (CorsWildcardMatch(o, origin, false)) {
      any_origin = o == "*";
      break;
    }
  }
  resp.add_header("Access-Control-Allow-Origin", any_origin ? std::string_view("*") : origin);
  if (!any_origin) resp.add_header("Access-Control-Allow-Credentials", "true");
  resp.add_header("Access-Control-Allow-Methods", Join(rule.allowed_methods));
  if (!rule.expose_headers.empty()) {
    resp.add_header("Access-Control-Expose-Headers", Join(rule.expose_headers));
  }
  if (rule.max_age_seconds >= 0) {
    resp.add_header("Access-Control-Max-Age", std::to_string(rule.max_age_seconds));
  }
}

}  // namespace

ApiError GetBucketCors(OpContext& ctx) {
  Result<std::shared_ptr<const object::BucketMetadata>> meta =
      ctx.layer.get_bucket_metadata(ctx.request_ctx, ctx.res.bucket);
  if (!meta) return meta.error();
  const std::string* doc = (*meta)->config(object::kConfigCors);
  if (doc == nullptr) return ErrorId::kNoSuchCorsConfiguration;
  return SendXml(ctx, 200, *doc);
}

ApiError PutBucketCors(OpContext& ctx) {
  hash::Expectations expect;
  FS_S3_RETURN_IF_ERROR(BuildPutExpectations(ctx, expect));
  hash::HashingSource body(ctx.body, std::move(expect));
  std::string xml;
  FS_S3_RETURN_IF_ERROR(ReadBoundedBody(body, kMaxCorsBodyBytes, xml));
  CorsConfig config;
  FS_S3_RETURN_IF_ERROR(ParseCorsXml(xml, config));
  std::string canonical = CorsXml(config);
  FS_S3_RETURN_IF_ERROR(ctx.layer.update_bucket_metadata(
      ctx.request_ctx, ctx.res.bucket, [&](object::BucketMetadata& meta) {
        meta.configs[std::string(object::kConfigCors)] = canonical;
        return Status::Ok();
      }));
  return SendEmpty(ctx, 200);
}

ApiError DeleteBucketCors(OpContext& ctx) {
  FS_S3_RETURN_IF_ERROR(ctx.layer.update_bucket_metadata(
      ctx.request_ctx, ctx.res.bucket, [](object::BucketMetadata& meta) {
        meta.configs.erase(std::string(object::kConfigCors));
        return Status::Ok();
      }));
  return SendEmpty(ctx, 204);
}

ApiError AnswerCorsPreflight(http::Exchange& ex, std::string_view bucket,
                             object::ObjectLayer& layer, const object::RequestContext& rctx) {
  const http::Request& req = ex.request();
  std::string_view origin = req.header("origin");
  if (origin.empty()) {
    return ApiError(ErrorId::kBadRequest,
                    "Insufficient information. Origin request header needed.");
  }
  std::string_view method = req.header("access-control-request-method");
  if (method.empty()) {
    return ApiError(ErrorId::kBadRequest,
                    "Insufficient information. Access-Control-Request-Method request header "
                    "needed.");
  }
  std::string_view requested = req.header("access-control-request-headers");
  std::vector<std::string_view> headers;
  if (!SplitHeaderList(requested, kMaxPreflightHeaderItems, headers)) {
    return ApiError(ErrorId::kBadRequest, "Too many Access-Control-Request-Headers.");
  }
  if (bucket.empty()) return ErrorId::kCorsForbidden;  // the service has no CORS rules
  Status lookup;
  std::shared_ptr<const CorsConfig> config = BucketCors(layer, rctx, bucket, &lookup);
  if (!lookup.ok()) return lookup;
  if (config == nullptr) {
    return ApiError(ErrorId::kCorsForbidden, "CORSResponse: CORS is not enabled for this bucket.");
  }
  const CorsRule* rule = MatchCorsRule(*config, origin, method, headers);
  if (rule == nullptr) return ErrorId::kCorsForbidden;
  http::ResponseWriter& resp = ex.response();
  AddRuleHeaders(resp, *rule, origin);
  if (!headers.empty()) resp.add_header("Access-Control-Allow-Headers", requested);
  resp.add_header("Vary", kCorsVary);
  resp.set_status(200);
  return resp.send({});
}

void AddCorsHeaders(http::Exchange& ex, std::string_view bucket, object::ObjectLayer& layer,
                    const object::RequestContext& rctx) {
  const http::Request& req = ex.request();
  std::string_view origin = req.header("origin");
  if (origin.empty() || bucket.empty()) return;
  std::shared_ptr<const CorsConfig> config = BucketCors(layer, rctx, bucket, nullptr);
  if (config == nullptr) return;
  http::ResponseWriter& resp = ex.response();
  resp.add_header("Vary", kCorsVary);
  const CorsRule* rule = MatchCorsRule(*config, origin, req.method_name, {});
  if (rule != nullptr) AddRuleHeaders(resp, *rule, origin);
}

}  // namespace flashstor::s3
