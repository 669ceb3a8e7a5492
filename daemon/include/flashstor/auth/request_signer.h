// RequestSigner: the client side of AWS Signature V4 (header signing) for tools that talk to an
// S3 endpoint, e.g. the load generator. Builds the canonical request the verifier rebuilds.
#pragma once

#include <array>
#include <ctime>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "flashstor/common/status.h"

namespace flashstor::auth {

using HeaderPair = std::pair<std::string_view, std::string_view>;

struct SignInput {
  std::string_view method;            // "GET", "PUT", ... (uppercase token)
  std::string_view path;              // decoded path starting with '/', e.g. "/bucket/my key"
  std::span<const HeaderPair> query;  // decoded name/value pairs, any order
  std::string_view host;              // the Host header value, e.g. "127.0.0.1:9000"
  // Lowercase hex SHA-256 of the body, or "UNSIGNED-PAYLOAD"; sent as x-amz-content-sha256.
  std::string_view payload_hash;
  // Further headers to sign and send (e.g. Range); not host / x-amz-date /
  // x-amz-content-sha256 / authorization, no name twice (case-insensitive).
  std::span<const HeaderPair> headers;
};

struct SignedRequest {
  std::string target;         // request-target: encoded path, then "?" + canonical query if any
  std::string amz_date;       // x-amz-date value (yyyymmddThhmmssZ)
  std::string authorization;  // Authorization value
};

class RequestSigner {
 public:
  static constexpr size_t kMaxHeaders = 16;
  static constexpr size_t kMaxQuery = 64;

  RequestSigner(std::string access_key, std::string secret_key, std::string region = "us-east-1",
                std::string service = "s3");
  ~RequestSigner();
  RequestSigner(const RequestSigner&) = delete;
  RequestSigner& operator=(const RequestSigner&) = delete;

  // Signs one request at `now` (seconds since the epoch). The caller sends Host, x-amz-date,
  // x-amz-content-sha256 (= payload_hash), Authorization and `headers` exactly as given.
  // kInvalidArgument on a malformed input (bad method, path not starting with '/', bad payload
  // hash, header name not a token, CR/LF in a value, duplicate or reserved header, too many
  // headers or query parameters). Not thread-safe (caches the day's signing key): one signer
  // per thread.
  Result<SignedRequest> sign(const SignInput& in, std::time_t now);

 private:
  const std::array<unsigned char, 32>& key_for(std::string_view date);

  std::string access_key_;
  std::string secret_key_;  // never logged; wiped on destruction
  std::string region_;
  std::string service_;
  std::string key_date_;  // yyyymmdd of key_
  std::array<unsigned char, 32> key_{};
};

}  // namespace flashstor::auth
