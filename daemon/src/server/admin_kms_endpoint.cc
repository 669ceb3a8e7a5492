// AdminHandler::serve_kms: the root-only SSE-KMS key API under /flashstor/admin/kms/
// (create-key, rotate-key, disable-key, enable-key: POST; list-keys, key-status: GET), one
// JSON object per answer.
#include <string>

#include "flashstor/http/uri.h"
#include "flashstor/iam/iam_store.h"
#include "flashstor/obs/json_string.h"
#include "flashstor/s3/kms_keys.h"
#include "flashstor/server/admin_handler.h"

namespace flashstor::server {
namespace {

void SendJson(http::Exchange& ex, int status, std::string_view body) {
  http::ResponseWriter& r = ex.response();
  r.set_status(status);
  r.add_header("Content-Type", "application/json");
  (void)r.send(body);
}

void SendError(http::Exchange& ex, int status, std::string_view code, std::string_view message) {
  std::string body = "{\"error\":";
  obs::AppendJsonString(body, code);
  body += ",\"message\":";
  obs::AppendJsonString(body, message);
  body += "}\n";
  SendJson(ex, status, body);
}

void SendStatus(http::Exchange& ex, const Status& s) {
  switch (s.code()) {
    case Code::kNotFound:
      return SendError(ex, 404, "NotFoundException", "no such key");
    case Code::kAlreadyExists:
      return SendError(ex, 409, "AlreadyExistsException", "a key of that name exists");
    case Code::kInvalidArgument:
      return SendError(ex, 400, "InvalidArgument",
                       "key names are 1 to 64 characters of A-Z a-z 0-9 _ -");
    case Code::kTooLarge:
      return SendError(ex, 400, "LimitExceededException",
                       "at most 1000 keys and 100 versions per key");
    case Code::kPermissionDenied:
      return SendError(ex, 400, "DisabledException", "the key is disabled");
    case Code::kWriteQuorum:
      return SendError(ex, 503, "ServiceUnavailable",
                       "the key store could not be written to a majority of the drives");
    default:
      return SendError(ex, 500, "InternalError", "the key store failed");
  }
}

void AppendKey(std::string& out, const s3::kms::KeyInfo& k, std::string_view region) {
  out += "{\"name\":";
  obs::AppendJsonString(out, k.name);
  out += ",\"arn\":";
  obs::AppendJsonString(out, "arn:aws:kms:" + std::string(region) + ":" +
                                 std::string(iam::kAccountId) + ":key/" + k.name);
  out += ",\"state\":\"" + std::string(s3::kms::StateName(k.state)) +
         "\",\"created\":" + std::to_string(k.created) +
         ",\"version\":" + std::to_string(k.version) + ",\"rotated\":" + std::to_string(k.rotated) +
         "}";
}

}  // namespace

void AdminHandler::serve_kms(http::Exchange& ex) {
  const http::Request& req = ex.request();
  std::string_view op = req.path.substr(std::string_view("/flashstor/admin/kms/").size());
  const bool read_only = op == "list-keys" || op == "key-status";
  const bool known = read_only || op == "create-key" || op == "rotate-key" || op == "disable-key" ||
                     op == "enable-key";
  if (!known) return SendError(ex, 404, "NotFound", "unknown KMS admin operation");
  if (req.method != (read_only ? http::Method::kGet : http::Method::kPost)) {
    return SendError(ex, 405, "MethodNotAllowed", read_only ? "use GET" : "use POST");
  }
  if (!authorize(ex, true)) return;
  if (!kms_) {
    return SendError(ex, 501, "NotImplemented",
                     "SSE-KMS needs a master key: the server was started without one");
  }
  if (op == "list-keys") {
    std::string body = "{\"keys\":[";
    bool first = true;
    for (const s3::kms::KeyInfo& k : kms_->list_keys()) {
      if (!first) body += ",";
      first = false;
      AppendKey(body, k, region_);
    }
    body += "]}\n";
    return SendJson(ex, 200, body);
  }
  auto params = http::ParseQuery(req.query, ex.arena());
  const http::QueryParam* name = params ? http::FindParam(*params, "name") : nullptr;
  if (name == nullptr) return SendError(ex, 400, "InvalidArgument", "name is required");
  Result<s3::kms::KeyInfo> r = Err(Code::kInternal);
  if (op == "create-key") {
    r = kms_->create_key(name->value);
  } else if (op == "key-status") {
    r = kms_->describe_key(name->value);
  } else if (op == "rotate-key") {
    r = kms_->rotate_key(name->value);
  } else if (op == "disable-key") {
    r = kms_->set_state(name->value, s3::kms::KeyState::kDisabled);
  } else {
    r = kms_->set_state(name->value, s3::kms::KeyState::kEnabled);
  }
  if (!r) return SendStatus(ex, r.error());
  std::string body;
  AppendKey(body, *r, region_);
  body += "\n";
  SendJson(ex, 200, body);
}

}  // namespace flashstor::server
