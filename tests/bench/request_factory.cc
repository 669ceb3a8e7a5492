// RequestFactory: request heads as text, ready for one writev with the body.
#include "request_factory.h"

#include <ctime>

#include "flashstor/http/uri.h"

namespace flashstor::bench {

RequestFactory::RequestFactory(const Options& o, const Endpoint& endpoint,
                               std::string_view body_sha256)
    : o_(o), endpoint_(endpoint), body_sha256_(body_sha256) {
  if (o.sign) signer_.emplace(o.access_key, o.secret_key, o.region, "s3");
}

std::string RequestFactory::key_name(uint64_t key) const {
  return o_.prefix + "-" + std::to_string(key);
}

Result<std::string> RequestFactory::build(std::string_view method, const std::string& path,
                                          std::span<const auth::HeaderPair> query,
                                          std::optional<uint64_t> content_length,
                                          std::string_view payload_hash) {
  std::string head;
  head.reserve(512);
  head.append(method).push_back(' ');
  if (signer_) {
    auth::SignInput in{method, path, query, endpoint_.host, payload_hash, {}};
    auto signed_req = signer_->sign(in, std::time(nullptr));
    if (!signed_req) return std::unexpected(signed_req.error());
    head += signed_req->target;
    head += " HTTP/1.1\r\nHost: " + endpoint_.host;
    head += "\r\nx-amz-date: " + signed_req->amz_date;
    head += "\r\nx-amz-content-sha256: ";
    head.append(payload_hash);
    head += "\r\nAuthorization: " + signed_req->authorization;
  } else {
    http::UriEncode(path, false, head);
    for (size_t i = 0; i < query.size(); ++i) {
      head.push_back(i == 0 ? '?' : '&');
      head += http::UriEncode(query[i].first, true) + "=" + http::UriEncode(query[i].second, true);
    }
    head += " HTTP/1.1\r\nHost: " + endpoint_.host;
  }
  if (content_length) head += "\r\nContent-Length: " + std::to_string(*content_length);
  head += "\r\n\r\n";
  return head;
}

Result<std::string> RequestFactory::put(uint64_t key) {
  const std::string_view hash =
      o_.sha256_payload ? std::string_view(body_sha256_) : std::string_view("UNSIGNED-PAYLOAD");
  return build("PUT", "/" + o_.bucket + "/" + key_name(key), {}, o_.size, hash);
}

Result<std::string> RequestFactory::get(uint64_t key) {
  const std::string_view hash = o_.sha256_payload ? kEmptySha256 : "UNSIGNED-PAYLOAD";
  return build("GET", "/" + o_.bucket + "/" + key_name(key), {}, std::nullopt, hash);
}

Result<std::string> RequestFactory::head(uint64_t key) {
  const std::string_view hash = o_.sha256_payload ? kEmptySha256 : "UNSIGNED-PAYLOAD";
  return build("HEAD", "/" + o_.bucket + "/" + key_name(key), {}, std::nullopt, hash);
}

Result<std::string> RequestFactory::heal(uint64_t key) {
  const std::string name = key_name(key);
  const auth::HeaderPair query[] = {{"bucket", o_.bucket}, {"key", name}};
  return build("POST", "/flashstor/admin/heal", query, 0, kEmptySha256);
}

Result<std::string> RequestFactory::list(uint64_t max_keys) {
  // HeaderPair holds views: the values must outlive the call. Sorted by name, as SigV4's
  // canonical query string wants them.
  const std::string max = std::to_string(max_keys);
  const std::string prefix = o_.prefix + "-";
  const auth::HeaderPair query[] = {{"list-type", "2"}, {"max-keys", max}, {"prefix", prefix}};
  return build("GET", "/" + o_.bucket, query, std::nullopt, kEmptySha256);
}

Result<std::string> RequestFactory::create_bucket() {
  return build("PUT", "/" + o_.bucket, {}, 0, kEmptySha256);
}

}  // namespace flashstor::bench
