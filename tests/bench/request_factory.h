// RequestFactory: the request heads one load-generator thread sends: S3 PUT/GET of an object,
// bucket creation and the admin heal call, SigV4-signed or (--no-sign) plain for nginx.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "flashstor/auth/request_signer.h"
#include "flashstor/common/status.h"
#include "http_connection.h"
#include "loadgen_options.h"

namespace flashstor::bench {

inline constexpr std::string_view kEmptySha256 =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

class RequestFactory {
 public:
  // body_sha256: hex digest of the PUT payload, used when o.sha256_payload.
  RequestFactory(const Options& o, const Endpoint& endpoint, std::string_view body_sha256);

  std::string key_name(uint64_t key) const;  // "<prefix>-<key>"
  Result<std::string> put(uint64_t key);     // Content-Length: o.size
  Result<std::string> get(uint64_t key);
  Result<std::string> head(uint64_t key);
  Result<std::string> heal(uint64_t key);  // POST /flashstor/admin/heal?bucket=B&key=K
  // GET /B?list-type=2&max-keys=N&prefix=<prefix>-: the first ListObjectsV2 page.
  Result<std::string> list(uint64_t max_keys);
  Result<std::string> create_bucket();  // PUT /B

 private:
  Result<std::string> build(std::string_view method, const std::string& path,
                            std::span<const auth::HeaderPair> query,
                            std::optional<uint64_t> content_length, std::string_view payload_hash);

  const Options& o_;
  const Endpoint& endpoint_;
  std::optional<auth::RequestSigner> signer_;
  std::string body_sha256_;
};

}  // namespace flashstor::bench
