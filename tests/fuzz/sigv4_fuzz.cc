// libFuzzer harness for SigV4 verification: the input is split at '\n' into an Authorization
// header, a raw query string, a path, an x-amz-date, an x-amz-content-sha256 and a Date value;
// whatever follows drives a ChunkVerifier through a random sequence of chunk events.
#include <array>
#include <cstddef>
#include <cstdint>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>

#include "flashstor/auth/sigv4.h"
#include "flashstor/http/request.h"
#include "flashstor/http/uri.h"
#include "flashstor/mem/arena.h"

namespace {

using namespace flashstor;

constexpr std::time_t kNow = 1369353600;  // 20130524T000000Z, AWS's example date

class ExampleCredentials final : public auth::CredentialProvider {
 public:
  std::optional<auth::Credential> lookup(std::string_view access_key) const override {
    if (access_key != "AKIAIOSFODNN7EXAMPLE") return std::nullopt;
    return auth::Credential{"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "",
                            true};
  }
};

// Splits off the text up to the next '\n'.
std::string_view Next(std::string_view& in) {
  size_t nl = in.find('\n');
  std::string_view field = in.substr(0, nl);
  in = nl == std::string_view::npos ? std::string_view{} : in.substr(nl + 1);
  return field;
}

void FuzzChunks(std::string_view in, const auth::AuthContext& base) {
  if (in.empty()) return;
  auth::AuthContext ctx = base;
  ctx.payload = static_cast<auth::PayloadKind>(1 + static_cast<uint8_t>(in[0]) % 4);
  if (ctx.seed_signature.empty()) {
    ctx.seed_signature = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9";
    ctx.amz_date = "20130524T000000Z";
    ctx.scope = "20130524/us-east-1/s3/aws4_request";
  }
  in.remove_prefix(1);
  auto v = auth::SigV4Verifier::MakeChunkVerifier(ctx);
  if (!v) return;
  while (!in.empty()) {
    uint8_t op = static_cast<uint8_t>(in[0]) % 5;
    in.remove_prefix(1);
    // Length byte first, then the argument itself (the argument must not include it, or a
    // 64-hex chunk signature could never be formed).
    size_t len = in.empty() ? 0 : static_cast<uint8_t>(in[0]) % 80;
    if (!in.empty()) in.remove_prefix(1);
    std::string_view arg = in.substr(0, len);
    in.remove_prefix(arg.size());
    // The announced chunk size comes from the next byte, so a signed empty final chunk can be
    // expressed too.
    uint64_t chunk_size = in.empty() ? 0 : static_cast<uint8_t>(in[0]);
    switch (op) {
      case 0:
        if (!in.empty()) in.remove_prefix(1);
        (void)v->on_chunk_begin(arg, chunk_size);
        break;
      case 1:
        v->on_chunk_data({arg.data(), arg.size()});
        break;
      case 2:
        (void)v->on_chunk_end();
        break;
      case 3:
        (void)v->on_trailer(arg.substr(0, arg.size() / 2), arg.substr(arg.size() / 2));
        break;
      default:
        (void)v->on_trailers_end(arg);
        break;
    }
    (void)v->trailer(arg);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static ExampleCredentials credentials;
  static auth::SigV4Verifier verifier(credentials, auth::VerifyOptions{});
  static mem::Arena arena;
  arena.reset();

  std::string_view in(reinterpret_cast<const char*>(data), size);
  std::string_view authorization = Next(in);
  std::string_view raw_query = Next(in);
  std::string_view path = Next(in);
  std::string_view amz_date = Next(in);
  std::string_view content_sha = Next(in);
  std::string_view date = Next(in);

  std::array<http::Header, 6> headers = {{{"Host", "examplebucket.s3.amazonaws.com"},
                                          {"Authorization", authorization},
                                          {"x-amz-date", amz_date},
                                          {"x-amz-content-sha256", content_sha},
                                          {"Date", date},
                                          {"Range", "bytes=0-9"}}};
  http::Request request;
  request.method = http::Method::kGet;
  request.method_name = "GET";
  request.path = path;
  request.query = raw_query;
  request.host = headers[0].value;
  // An empty first field means "no Authorization header" (exercises presign and anonymous).
  request.headers = authorization.empty() ? std::span<const http::Header>(headers).subspan(2)
                                          : std::span<const http::Header>(headers);
  std::span<const http::QueryParam> query;
  if (auto parsed = http::ParseQuery(raw_query, arena)) query = *parsed;

  auto ctx = verifier.verify(request, query, kNow);
  FuzzChunks(in, ctx ? *ctx : auth::AuthContext{});
  return 0;
}
