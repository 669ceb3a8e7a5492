// RequestSigner: canonical request, string to sign and Authorization header for a client. The
// signing-key derivation, SHA-256, URI encoding and x-amz-date format are the verifier's own
// (sigv4.h, uri.h, amz_date.h).
#include "flashstor/auth/request_signer.h"

#include <algorithm>
#include <ctime>
#include <vector>

#include <openssl/crypto.h>

#include "amz_date.h"
#include "flashstor/auth/sigv4.h"
#include "flashstor/http/ascii.h"
#include "flashstor/http/uri.h"
#include "signing.h"

namespace flashstor::auth {
namespace {

using http::ascii::IsToken;

bool IsPayloadHash(std::string_view s) {
  if (s == kUnsignedPayload) return true;
  return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// Trimmed, runs of spaces/tabs collapsed to one space (SigV4 canonical header value).
std::string CanonicalValue(std::string_view v) {
  std::string out;
  bool space = false;
  for (char c : v) {
    if (c == ' ' || c == '\t') {
      space = !out.empty();
      continue;
    }
    if (space) out.push_back(' ');
    space = false;
    out.push_back(c);
  }
  return out;
}

bool IsReserved(std::string_view lower_name) {
  return lower_name == "host" || lower_name == "x-amz-date" ||
         lower_name == "x-amz-content-sha256" || lower_name == "authorization";
}

void AppendHex(std::span<const unsigned char> bytes, std::string& out) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (unsigned char b : bytes) {
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 0xf]);
  }
}

using Pair = std::pair<std::string, std::string>;

// Canonical query ("a=1&b=") from decoded pairs, sorted by encoded name then value.
std::string CanonicalQuery(std::span<const HeaderPair> query) {
  std::vector<Pair> enc;
  enc.reserve(query.size());
  for (const auto& [name, value] : query) {
    enc.emplace_back(http::UriEncode(name, true), http::UriEncode(value, true));
  }
  std::sort(enc.begin(), enc.end());
  std::string out;
  for (const auto& [name, value] : enc) {
    if (!out.empty()) out.push_back('&');
    out.append(name).push_back('=');
    out.append(value);
  }
  return out;
}

// Lowercased, canonicalised headers sorted by name; kInvalidArgument on a bad header.
Result<std::vector<Pair>> CanonicalHeaders(const SignInput& in, std::string_view amz_date) {
  std::vector<Pair> hs;
  hs.reserve(in.headers.size() + 3);
  hs.emplace_back("host", CanonicalValue(in.host));
  hs.emplace_back("x-amz-content-sha256", std::string(in.payload_hash));
  hs.emplace_back("x-amz-date", std::string(amz_date));
  for (const auto& [name, value] : in.headers) {
    if (!IsToken(name)) return Err(Code::kInvalidArgument, "header name is not a token");
    if (value.find_first_of("\r\n") != std::string_view::npos) {
      return Err(Code::kInvalidArgument, "CR or LF in a header value");
    }
    std::string lower = Lower(name);
    if (IsReserved(lower)) return Err(Code::kInvalidArgument, "reserved header");
    hs.emplace_back(std::move(lower), CanonicalValue(value));
  }
  std::sort(hs.begin(), hs.end());
  for (size_t i = 1; i < hs.size(); ++i) {
    if (hs[i].first == hs[i - 1].first) return Err(Code::kInvalidArgument, "duplicate header");
  }
  return hs;
}

Status CheckInput(const SignInput& in) {
  if (!IsToken(in.method)) return Status(Code::kInvalidArgument, "bad method");
  if (in.path.empty() || in.path.front() != '/') {
    return Status(Code::kInvalidArgument, "path must start with '/'");
  }
  if (in.host.empty() || in.host.find_first_of("\r\n") != std::string_view::npos) {
    return Status(Code::kInvalidArgument, "bad host");
  }
  if (!IsPayloadHash(in.payload_hash)) return Status(Code::kInvalidArgument, "bad payload hash");
  if (in.headers.size() > RequestSigner::kMaxHeaders) {
    return Status(Code::kInvalidArgument, "too many headers");
  }
  if (in.query.size() > RequestSigner::kMaxQuery) {
    return Status(Code::kInvalidArgument, "too many query parameters");
  }
  return Status::Ok();
}

}  // namespace

RequestSigner::RequestSigner(std::string access_key, std::string secret_key, std::string region,
                             std::string service)
    : access_key_(std::move(access_key)),
      secret_key_(std::move(secret_key)),
      region_(std::move(region)),
      service_(std::move(service)) {}

RequestSigner::~RequestSigner() {
  if (!secret_key_.empty()) OPENSSL_cleanse(secret_key_.data(), secret_key_.size());
  OPENSSL_cleanse(key_.data(), key_.size());
}

const std::array<unsigned char, 32>& RequestSigner::key_for(std::string_view date) {
  if (key_date_ != date) {
    key_ = DeriveSigningKey(secret_key_, date, region_, service_);
    key_date_.assign(date);
  }
  return key_;
}

Result<SignedRequest> RequestSigner::sign(const SignInput& in, std::time_t now) {
  FS_RETURN_IF_ERROR(CheckInput(in));
  SignedRequest out;
  const std::array<char, 16> amz_date = FormatAmzDate(now);
  out.amz_date.assign(amz_date.data(), amz_date.size());
  auto headers = CanonicalHeaders(in, out.amz_date);
  if (!headers) return std::unexpected(headers.error());

  http::UriEncode(in.path, false, out.target);
  const std::string query = CanonicalQuery(in.query);
  std::string signed_names;
  for (const auto& h : *headers) {
    if (!signed_names.empty()) signed_names.push_back(';');
    signed_names += h.first;
  }
  std::string canonical;
  canonical.reserve(256 + out.target.size() + query.size());
  canonical.append(in.method).push_back('\n');
  canonical.append(out.target).push_back('\n');
  canonical.append(query).push_back('\n');
  for (const auto& [name, value] : *headers) canonical.append(name + ":" + value + "\n");
  canonical.push_back('\n');
  canonical.append(signed_names).push_back('\n');
  canonical.append(in.payload_hash);
  if (!query.empty()) out.target.append("?").append(query);

  const std::string_view date = std::string_view(out.amz_date).substr(0, 8);
  const std::string scope = std::string(date) + "/" + region_ + "/" + service_ + "/aws4_request";
  const std::string to_sign = "AWS4-HMAC-SHA256\n" + out.amz_date + "\n" + scope + "\n" +
                              HexSha256(std::span<const char>(canonical));
  // The verifier's HMAC (signing.h): algorithms fetched once, not at every request.
  const Digest mac = HmacSha256(key_for(date), to_sign);
  out.authorization = "AWS4-HMAC-SHA256 Credential=" + access_key_ + "/" + scope +
                      ",SignedHeaders=" + signed_names + ",Signature=";
  AppendHex(std::span<const unsigned char>(mac.data(), mac.size()), out.authorization);
  return out;
}

}  // namespace flashstor::auth
