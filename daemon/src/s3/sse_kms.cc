// SSE-KMS request headers, key ids and errors (sse_kms.h).
#include "sse_kms.h"

#include <cjson/cJSON.h>

#include <memory>

#include "authorizer.h"
#include "flashstor/iam/iam_store.h"
#include "flashstor/s3/headers.h"
#include "flashstor/s3/kms_keys.h"

namespace flashstor::s3::sse {
namespace {

constexpr std::string_view kHeaderBucketKey = "x-amz-server-side-encryption-bucket-key-enabled";
constexpr size_t kMaxContextBytes = 4096;
constexpr size_t kMaxContextPairs = 64;

constexpr std::string_view kMsgNeedKms =
    "Server Side Encryption with AWS KMS managed key requires HTTP header "
    "x-amz-server-side-encryption : aws:kms";
constexpr std::string_view kMsgBadContext =
    "The encryption context must be base64-encoded JSON of string key-value pairs.";

using JsonPtr = std::unique_ptr<cJSON, decltype(&cJSON_Delete)>;

// A JSON object of at most kMaxContextPairs non-empty string keys with string values; an
// aws:s3:arn pair must name the object (S3 adds it to the context itself).
bool ValidContext(const OpContext& ctx, std::string_view json) {
  JsonPtr root(cJSON_ParseWithLength(json.data(), json.size()), cJSON_Delete);
  if (!root || !cJSON_IsObject(root.get())) return false;
  size_t pairs = 0;
  const cJSON* item = nullptr;
  cJSON_ArrayForEach(item, root.get()) {
    if (++pairs > kMaxContextPairs || item->string == nullptr || *item->string == '\0' ||
        !cJSON_IsString(item)) {
      return false;
    }
    if (std::string_view(item->string) == "aws:s3:arn" &&
        std::string_view(item->valuestring) !=
            "arn:aws:s3:::" + std::string(ctx.res.bucket) + "/" + std::string(ctx.res.key)) {
      return false;
    }
  }
  return true;
}

}  // namespace

ApiError ReadKmsHeaders(const OpContext& ctx, bool kms_mode, KmsRequest& out) {
  const bool has_key = ctx.req.has_header(kHeaderKmsKeyId);
  const bool has_context = ctx.req.has_header(kHeaderKmsContext);
  if ((has_key || has_context) && !kms_mode) return ApiError(Code::kInvalidArgument, kMsgNeedKms);
  if (ctx.req.has_header(kHeaderBucketKey)) {
    // Accepted as AWS does; every object gets its own data key sealed by the KMS key
    // (docs/encryption.md), so no bucket key is ever used or announced.
    std::string_view v = ctx.header(kHeaderBucketKey);
    if (!IEquals(v, "true") && !IEquals(v, "false")) {
      return ApiError(Code::kInvalidArgument,
                      "x-amz-server-side-encryption-bucket-key-enabled must be true or false");
    }
  }
  if (!kms_mode) return {};
  out.key_id = std::string(ctx.header(kHeaderKmsKeyId));
  if (has_key && out.key_id.empty()) return ErrorId::kKmsNotFound;
  if (has_context) {
    std::string_view b64 = ctx.header(kHeaderKmsContext);
    std::optional<std::string> json = hash::Base64Decode(b64);
    if (b64.empty() || !json || json->size() > kMaxContextBytes || !ValidContext(ctx, *json)) {
      return ApiError(Code::kInvalidArgument, kMsgBadContext);
    }
    out.context_json = std::move(*json);
    out.context_b64 = std::string(b64);
  }
  return {};
}

ApiError RequireKms(const OpContext& ctx) {
  if (ctx.config.kms) return {};
  return ApiError(Code::kNotImplemented,
                  "SSE-KMS needs a master key: the server was started without one.");
}

ApiError ResolveKmsKey(const OpContext& ctx, std::string_view key_id, std::string& name) {
  FS_S3_RETURN_IF_ERROR(RequireKms(ctx));
  if (key_id.empty()) {
    Result<kms::KeyInfo> def = ctx.config.kms->ensure_default_key();
    if (!def) return KmsError(def.error());
    name = def->name;
    return {};
  }
  if (key_id.starts_with("arn:")) {
    const std::string prefix =
        "arn:aws:kms:" + ctx.config.region + ":" + std::string(iam::kAccountId) + ":key/";
    if (!key_id.starts_with(prefix)) return ApiError(ErrorId::kKmsNotFound, "Invalid arn");
    key_id.remove_prefix(prefix.size());
  }
  if (!kms::ValidKeyName(key_id)) return ErrorId::kKmsNotFound;
  name = std::string(key_id);
  return {};
}

ApiError AuthorizeKms(const OpContext& ctx, std::string_view action, std::string_view key_name) {
  if (ctx.authorizer == nullptr || (!ctx.auth.anonymous && ctx.auth.is_root)) return {};
  return ctx.authorizer->authorize({.auth = ctx.auth,
                                    .action = action,
                                    .resource = KmsKeyArn(ctx, key_name),
                                    .bucket = {},
                                    .query = ctx.query,
                                    .remote_address = ctx.ex.remote_address(),
                                    .secure = ctx.ex.secure()});
}

std::string KmsKeyArn(const OpContext& ctx, std::string_view name) {
  return "arn:aws:kms:" + ctx.config.region + ":" + std::string(iam::kAccountId) + ":key/" +
         std::string(name);
}

ApiError KmsError(const Status& s) {
  switch (s.code()) {
    case Code::kNotFound:
      return ErrorId::kKmsNotFound;
    case Code::kPermissionDenied:
      return ErrorId::kKmsDisabled;
    case Code::kWriteQuorum:
      return Code::kWriteQuorum;
    default:
      return Code::kInternal;
  }
}

}  // namespace flashstor::s3::sse
