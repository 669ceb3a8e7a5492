// Test harness for S3Handler: an in-memory Exchange (request head, body, captured response)
// and a minimal SigV4 signer (header auth) so requests pass the real verifier.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "fake_object_layer.h"
#include "flashstor/auth/credentials.h"
#include "flashstor/auth/sigv4.h"
#include "flashstor/http/exchange.h"
#include "flashstor/s3/s3_handler.h"

namespace flashstor::s3::testing {

inline constexpr std::string_view kAccessKey = "AKIDFLASHSTORTEST";
inline constexpr std::string_view kSecretKey = "flashstor-test-secret-key";

class FakeCredentials final : public auth::CredentialProvider {
 public:
  std::optional<auth::Credential> lookup(std::string_view access_key) const override;
};

struct TestRequest {
  std::string method = "GET";
  std::string path = "/";
  std::string query;  // raw, already encoded
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // How to sign: "" anonymous, "UNSIGNED-PAYLOAD", "sha256" (real digest), or a literal
  // x-amz-content-sha256 value (e.g. a wrong digest or STREAMING-...).
  std::string payload = "UNSIGNED-PAYLOAD";
  bool content_length = true;
  std::string host = "localhost:9000";
};

struct TestResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // lowercase names
  std::string body;
  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
};

// Runs one request through handler and parses what it wrote.
TestResponse Run(http::Handler& handler, const TestRequest& request);

// A handler over the real verifier and the fake object layer (default S3Config).
struct Fixture {
  FakeCredentials creds;
  auth::SigV4Verifier verifier{creds, auth::VerifyOptions{}};
  FakeObjectLayer layer;
  S3Handler handler{layer, verifier, S3Config{}};
};

// cmocka group setup/teardown creating a Fixture in *state.
int SetupFixture(void** state);
int TeardownFixture(void** state);

// <Error><Code> of a response body, "<unparseable>" when it is not XML.
std::string ErrorCode(const TestResponse& r);

// A signed (UNSIGNED-PAYLOAD) request.
TestResponse Do(Fixture& f, std::string method, std::string path, std::string query = "",
                std::string body = "",
                std::vector<std::pair<std::string, std::string>> headers = {});

}  // namespace flashstor::s3::testing
