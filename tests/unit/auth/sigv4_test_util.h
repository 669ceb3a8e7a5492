// Shared fixtures for the auth unit tests: AWS's example credentials and requests, a fake
// credential provider and a hand-built http::Request (no dependency on the HTTP parser).
#pragma once

#include <ctime>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "flashstor/auth/credentials.h"
#include "flashstor/auth/sigv4.h"
#include "flashstor/common/status.h"
#include "flashstor/http/request.h"
#include "flashstor/http/uri.h"

namespace flashstor::auth::testing {

inline constexpr std::string_view kAccessKey = "AKIAIOSFODNN7EXAMPLE";
inline constexpr std::string_view kSecretKey = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
inline constexpr std::string_view kEmptySha =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
inline constexpr std::time_t kExampleTime = 1369353600;  // 20130524T000000Z

class FakeCredentials final : public CredentialProvider {
 public:
  explicit FakeCredentials(std::string secret = std::string(kSecretKey), std::string token = {})
      : secret_(std::move(secret)), token_(std::move(token)) {}
  std::optional<Credential> lookup(std::string_view access_key) const override {
    ++lookups;
    if (access_key != kAccessKey) return std::nullopt;
    return Credential{std::string(kAccessKey), secret_, token_, true};
  }
  mutable int lookups = 0;

 private:
  std::string secret_;
  std::string token_;
};

using Pairs = std::initializer_list<std::pair<std::string_view, std::string_view>>;

// Owns the header and (already decoded) query arrays a Request points at.
class TestRequest {
 public:
  TestRequest(std::string_view method, std::string_view path, Pairs headers, Pairs query = {}) {
    req_.method_name = method;
    req_.method = method == "GET"   ? http::Method::kGet
                  : method == "PUT" ? http::Method::kPut
                                    : http::Method::kOther;
    req_.path = path;
    for (const auto& [n, v] : headers) headers_.push_back({n, v});
    for (const auto& [n, v] : query) query_.push_back({n, v, n, v, !v.empty()});
  }
  void add_header(std::string_view n, std::string_view v) { headers_.push_back({n, v}); }
  void set_header(std::string_view n, std::string_view v) {
    for (auto& h : headers_) {
      if (h.name == n) h.value = v;
    }
  }
  void add_query(std::string_view n, std::string_view v) { query_.push_back({n, v, n, v, true}); }
  void set_query(std::string_view n, std::string_view v) {
    for (auto& q : query_) {
      if (q.name == n) q.value = q.raw_value = v;
    }
  }
  void remove_query(std::string_view n) {
    std::erase_if(query_, [n](const http::QueryParam& q) { return q.name == n; });
  }
  const http::Request& request() {
    req_.headers = headers_;
    for (const auto& h : headers_) {
      if (h.name == "Host" || h.name == "host") req_.host = h.value;
    }
    return req_;
  }
  std::span<const http::QueryParam> query() const { return query_; }

 private:
  http::Request req_;
  std::vector<http::Header> headers_;
  std::vector<http::QueryParam> query_;
};

inline constexpr std::string_view kScope =
    "AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request";
inline constexpr std::string_view kGetAuth =
    "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
    "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,"
    "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41";

// AWS example "GET Object": GET /test.txt with Range: bytes=0-9.
inline TestRequest GetObject(std::string_view authorization = kGetAuth) {
  return TestRequest("GET", "/test.txt",
                     {{"Host", "examplebucket.s3.amazonaws.com"},
                      {"Authorization", authorization},
                      {"Range", "bytes=0-9"},
                      {"x-amz-content-sha256", kEmptySha},
                      {"x-amz-date", "20130524T000000Z"}});
}

inline Code VerifyCode(TestRequest& r, std::time_t now = kExampleTime,
                       VerifyOptions options = VerifyOptions{}) {
  FakeCredentials creds;
  SigV4Verifier v(creds, std::move(options));
  auto ctx = v.verify(r.request(), r.query(), now);
  return ctx ? Code::kOk : ctx.error().code();
}

// AWS example "GET Object, presigned": GET /test.txt valid for 86400 s.
inline TestRequest Presigned() {
  return TestRequest(
      "GET", "/test.txt", {{"Host", "examplebucket.s3.amazonaws.com"}},
      {{"X-Amz-Algorithm", "AWS4-HMAC-SHA256"},
       {"X-Amz-Credential", kScope},
       {"X-Amz-Date", "20130524T000000Z"},
       {"X-Amz-Expires", "86400"},
       {"X-Amz-SignedHeaders", "host"},
       {"X-Amz-Signature", "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"}});
}

}  // namespace flashstor::auth::testing
