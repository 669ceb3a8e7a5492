// In-memory Exchange and SigV4 header signer for the S3Handler tests.
#include "s3_test_harness.h"

#include <openssl/hmac.h>

#include <pugixml.hpp>

#include <algorithm>
#include <cstring>
#include <ctime>

#include "flashstor/auth/sigv4.h"
#include "flashstor/hash/hashing_source.h"
#include "flashstor/http/uri.h"

namespace flashstor::s3::testing {
namespace {

class CaptureTransport final : public http::Transport {
 public:
  Result<size_t> recv(std::span<char>) override { return size_t{0}; }
  Status sendv(std::span<const iovec> iov) override {
    for (const iovec& v : iov) out.append(static_cast<const char*>(v.iov_base), v.iov_len);
    return {};
  }
  std::string out;
};

class StringSource final : public DataSource {
 public:
  explicit StringSource(std::string_view s) : s_(s) {}
  Result<size_t> read(std::span<char> out) override {
    size_t n = std::min(out.size(), s_.size() - pos_);
    std::memcpy(out.data(), s_.data() + pos_, n);
    pos_ += n;
    return n;
  }

 private:
  std::string_view s_;
  size_t pos_ = 0;
};

class FakeExchange final : public http::Exchange {
 public:
  FakeExchange(const http::Request& req, std::string_view body)
      : req_(req), body_(body), writer_(transport_, arena_) {}
  const http::Request& request() const override { return req_; }
  mem::Arena& arena() override { return arena_; }
  DataSource& body() override { return body_; }
  http::ResponseWriter& response() override { return writer_; }
  std::string_view remote_address() const override { return "127.0.0.1:4242"; }
  bool secure() const override { return false; }
  uint64_t request_start_ns() const override { return 0; }
  const std::string& output() const { return transport_.out; }

 private:
  const http::Request& req_;
  mem::Arena arena_;
  StringSource body_;
  CaptureTransport transport_;
  http::ResponseWriter writer_;
};

std::string Hmac(std::string_view key, std::string_view data) {
  unsigned char out[32];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len);
  return std::string(reinterpret_cast<char*>(out), len);
}

std::string Decode(std::string_view s) {
  mem::Arena arena;
  Result<std::string_view> d = http::PercentDecode(s, arena);
  return d ? std::string(*d) : std::string(s);
}

std::string CanonicalQuery(std::string_view raw) {
  std::vector<std::string> parts;
  while (!raw.empty()) {
    size_t amp = raw.find('&');
    std::string_view item = raw.substr(0, amp);
    size_t eq = item.find('=');
    std::string name = Decode(item.substr(0, eq));
    std::string value = Decode(eq == std::string_view::npos ? "" : item.substr(eq + 1));
    parts.push_back(http::UriEncode(name, true) + "=" + http::UriEncode(value, true));
    if (amp == std::string_view::npos) break;
    raw.remove_prefix(amp + 1);
  }
  std::sort(parts.begin(), parts.end());
  std::string out;
  for (const std::string& p : parts) out += (out.empty() ? "" : "&") + p;
  return out;
}

// Adds x-amz-date, x-amz-content-sha256 and Authorization (signed: host + x-amz-*).
void Sign(TestRequest& r) {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char date[9], stamp[17];
  std::strftime(date, sizeof date, "%Y%m%d", &tm);
  std::strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
  std::string payload = r.payload == "sha256" ? auth::HexSha256(r.body) : r.payload;
  r.headers.emplace_back("x-amz-date", stamp);
  r.headers.emplace_back("x-amz-content-sha256", payload);
  std::vector<std::pair<std::string, std::string>> signed_headers;
  for (auto& [n, v] : r.headers) {
    std::string lower = n;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (lower == "host" || lower.starts_with("x-amz-") || lower == "content-md5") {
      signed_headers.emplace_back(lower, v);
    }
  }
  std::sort(signed_headers.begin(), signed_headers.end());
  std::string canonical = r.method + "\n" + r.path + "\n" + CanonicalQuery(r.query) + "\n";
  std::string names;
  for (auto& [n, v] : signed_headers) {
    canonical += n + ":" + v + "\n";
    names += (names.empty() ? "" : ";") + n;
  }
  canonical += "\n" + names + "\n" + payload;
  std::string scope = std::string(date) + "/us-east-1/s3/aws4_request";
  std::string to_sign =
      "AWS4-HMAC-SHA256\n" + std::string(stamp) + "\n" + scope + "\n" + auth::HexSha256(canonical);
  std::string k = Hmac("AWS4" + std::string(kSecretKey), date);
  k = Hmac(k, "us-east-1");
  k = Hmac(k, "s3");
  k = Hmac(k, "aws4_request");
  std::string sig = Hmac(k, to_sign);
  std::string sig_hex = hash::HexEncode(std::span<const unsigned char>(
      reinterpret_cast<const unsigned char*>(sig.data()), sig.size()));
  r.headers.emplace_back("Authorization", "AWS4-HMAC-SHA256 Credential=" + std::string(kAccessKey) +
                                              "/" + scope + ", SignedHeaders=" + names +
                                              ", Signature=" + sig_hex);
}

http::Method MethodOf(std::string_view m) {
  if (m == "GET") return http::Method::kGet;
  if (m == "HEAD") return http::Method::kHead;
  if (m == "PUT") return http::Method::kPut;
  if (m == "POST") return http::Method::kPost;
  if (m == "DELETE") return http::Method::kDelete;
  return http::Method::kOther;
}

TestResponse ParseResponse(const std::string& raw) {
  TestResponse r;
  size_t head_end = raw.find("\r\n\r\n");
  if (head_end == std::string::npos) return r;
  std::string head = raw.substr(0, head_end);
  r.body = raw.substr(head_end + 4);
  r.status = std::atoi(head.c_str() + 9);
  size_t pos = head.find("\r\n");
  while (pos != std::string::npos) {
    size_t next = head.find("\r\n", pos + 2);
    std::string line =
        head.substr(pos + 2, next == std::string::npos ? std::string::npos : next - pos - 2);
    size_t colon = line.find(':');
    std::string name = line.substr(0, colon);
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.erase(0, 1);
    r.headers[name] = value;
    pos = next;
  }
  return r;
}

}  // namespace

std::optional<auth::Credential> FakeCredentials::lookup(std::string_view access_key) const {
  if (access_key != kAccessKey) return std::nullopt;
  return auth::Credential{std::string(kAccessKey), std::string(kSecretKey), "", true};
}

TestResponse Run(http::Handler& handler, const TestRequest& request) {
  TestRequest r = request;
  r.headers.emplace_back("Host", r.host);
  if (r.content_length && (!r.body.empty() || r.method == "PUT" || r.method == "POST")) {
    r.headers.emplace_back("Content-Length", std::to_string(r.body.size()));
  }
  if (!r.payload.empty()) Sign(r);
  std::vector<http::Header> headers;
  for (auto& [n, v] : r.headers) headers.push_back({n, v});
  std::string target = r.path + (r.query.empty() ? "" : "?" + r.query);
  http::Request req;
  req.method = MethodOf(r.method);
  req.method_name = r.method;
  req.target = target;
  req.path = r.path;
  req.query = r.query;
  req.headers = headers;
  req.host = r.host;
  if (r.content_length && (!r.body.empty() || r.method == "PUT" || r.method == "POST")) {
    req.content_length = r.body.size();
  }
  FakeExchange ex(req, r.body);
  handler.serve(ex);
  return ParseResponse(ex.output());
}

int SetupFixture(void** state) {
  *state = new Fixture;
  return 0;
}

int TeardownFixture(void** state) {
  delete static_cast<Fixture*>(*state);
  return 0;
}

std::string ErrorCode(const TestResponse& r) {
  pugi::xml_document doc;
  if (!doc.load_string(r.body.c_str())) return "<unparseable>";
  return doc.child("Error").child("Code").text().get();
}

TestResponse Do(Fixture& f, std::string method, std::string path, std::string query,
                std::string body, std::vector<std::pair<std::string, std::string>> headers) {
  TestRequest r;
  r.method = std::move(method);
  r.path = std::move(path);
  r.query = std::move(query);
  r.body = std::move(body);
  r.headers = std::move(headers);
  return Run(f.handler, r);
}

}  // namespace flashstor::s3::testing
