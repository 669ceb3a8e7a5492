// Bucket/key extraction from path-style and virtual-hosted requests, and bucket name rules.
#include "flashstor/s3/resource.h"

#include <arpa/inet.h>

#include <array>

#include "flashstor/http/uri.h"
#include "flashstor/obs/json_string.h"
#include "flashstor/s3/headers.h"

namespace flashstor::s3 {
namespace {

std::string_view StripPort(std::string_view host) {
  if (!host.empty() && host.front() == '[') return host;  // IPv6 literal: never a bucket host
  size_t colon = host.rfind(':');
  return colon == std::string_view::npos ? host : host.substr(0, colon);
}

// The bucket label of a virtual-hosted Host ("b.s3.example.com" -> "b"), empty when the host
// is the domain itself or not under it.
std::string_view VirtualHostBucket(std::string_view host, std::string_view domain) {
  if (domain.empty()) return {};
  host = StripPort(host);
  if (host.size() <= domain.size() + 1) return {};
  std::string_view tail = host.substr(host.size() - domain.size());
  if (!IEquals(tail, domain) || host[host.size() - domain.size() - 1] != '.') return {};
  return host.substr(0, host.size() - domain.size() - 1);
}

// Keys are UTF-8 (AWS answers 400 InvalidURI otherwise): every listing page that held another
// key would be an XML document that is not the UTF-8 it declares.
bool IsValidUtf8(std::string_view s) {
  while (!s.empty()) {
    size_t n = obs::Utf8SequenceLength(s);
    if (n == 0) return false;
    s.remove_prefix(n);
  }
  return true;
}

bool IsAlnumLower(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

}  // namespace

ApiError ParseResource(std::string_view path, std::string_view host, std::string_view domain,
                       mem::Arena& arena, Resource& out) {
  out = Resource{};
  if (path.empty() || path.front() != '/') return ErrorId::kInvalidUri;
  std::string_view rest = path.substr(1);
  std::string_view raw_key;
  std::string_view bucket = VirtualHostBucket(host, domain);
  if (!bucket.empty()) {
    out.virtual_host = true;
    raw_key = rest;
  } else {
    size_t slash = rest.find('/');
    Result<std::string_view> b = http::PercentDecode(rest.substr(0, slash), arena);
    if (!b) return ErrorId::kInvalidUri;
    bucket = *b;
    if (slash != std::string_view::npos) raw_key = rest.substr(slash + 1);
  }
  if (bucket.empty()) {
    if (!raw_key.empty()) return ErrorId::kInvalidUri;  // "//key"
    out.kind = ResourceKind::kService;
    return {};
  }
  out.bucket = bucket;
  if (raw_key.empty()) {
    out.kind = ResourceKind::kBucket;
    return {};
  }
  // Cheap bound before decoding: a decoded byte takes at most three raw bytes ("%XX").
  if (raw_key.size() > 3 * kMaxKeyLength) return Code::kKeyTooLong;
  Result<std::string_view> key = http::PercentDecode(raw_key, arena, /*plus_is_space=*/false);
  if (!key) return ErrorId::kInvalidUri;
  if (key->size() > kMaxKeyLength) return Code::kKeyTooLong;
  if (!IsValidUtf8(*key)) return ErrorId::kInvalidUri;
  out.key = *key;
  out.kind = ResourceKind::kObject;
  return {};
}

std::string_view CheckBucketName(std::string_view name) {
  static constexpr std::array<std::string_view, 3> kReserved = {"metrics", "health", "flashstor"};
  for (std::string_view r : kReserved) {
    if (name == r) return "The bucket name is reserved for the server's own endpoints.";
  }
  if (name.size() < 3 || name.size() > 63) {
    return "Bucket name must be between 3 (min) and 63 (max) characters long.";
  }
  for (char c : name) {
    if (!IsAlnumLower(c) && c != '.' && c != '-') {
      return "Bucket name can consist only of lowercase letters, numbers, dots (.), and "
             "hyphens (-).";
    }
  }
  if (!IsAlnumLower(name.front()) || !IsAlnumLower(name.back())) {
    return "Bucket name must begin and end with a letter or number.";
  }
  if (name.find("..") != std::string_view::npos) {
    return "Bucket name must not contain two adjacent periods.";
  }
  std::string ip(name);
  in_addr addr{};
  if (inet_pton(AF_INET, ip.c_str(), &addr) == 1) {
    return "Bucket name must not be formatted as an IP address.";
  }
  if (name.starts_with("xn--") || name.starts_with("sthree-")) {
    return "Bucket name must not start with the prefix xn-- or sthree-.";
  }
  if (name.ends_with("-s3alias") || name.ends_with("--ol-s3")) {
    return "Bucket name must not end with the suffix -s3alias or --ol-s3.";
  }
  return {};
}

}  // namespace flashstor::s3
