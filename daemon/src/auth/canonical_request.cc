// Canonical request construction for S3 SigV4 (AWS "Signature Calculations for the
// Authorization Header"): per-thread scratch buffers keep the hot path allocation-free.
#include "canonical_request.h"

#include <algorithm>
#include <charconv>
#include <vector>

#include "flashstor/http/ascii.h"
#include "signing.h"

namespace flashstor::auth {
namespace {

using http::ascii::HexValue;

// Percent-decodes one path segment for re-encoding. A '%' not followed by two hex digits
// stays literal (it is then encoded as %25), so canonicalisation never fails; the HTTP parser
// is the place that rejects malformed targets.
void DecodeSegment(std::string_view in, std::string& out) {
  out.clear();
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '%' && i + 2 < in.size() && HexValue(in[i + 1]) >= 0 && HexValue(in[i + 2]) >= 0) {
      out.push_back(static_cast<char>(HexValue(in[i + 1]) * 16 + HexValue(in[i + 2])));
      i += 2;
    } else {
      out.push_back(in[i]);
    }
  }
}

struct QueryEntry {
  std::string name;
  std::string value;
};

}  // namespace

void AppendCanonicalUri(std::string_view raw_path, std::string& out) {
  if (raw_path.empty()) {
    out.push_back('/');
    return;
  }
  thread_local std::string segment;
  while (true) {
    size_t slash = raw_path.find('/');
    DecodeSegment(raw_path.substr(0, slash), segment);
    http::UriEncode(segment, /*encode_slash=*/true, out);
    if (slash == std::string_view::npos) break;
    out.push_back('/');
    raw_path.remove_prefix(slash + 1);
  }
}

void AppendCanonicalQuery(std::span<const http::QueryParam> query, bool skip_signature,
                          std::string& out) {
  // Entries are reused across calls so their strings keep their capacity.
  thread_local std::vector<QueryEntry> entries;
  thread_local std::vector<const QueryEntry*> order;
  if (entries.size() < query.size()) entries.resize(query.size());
  order.clear();
  for (size_t i = 0; i < query.size(); ++i) {
    if (skip_signature && query[i].name == "X-Amz-Signature") continue;
    QueryEntry& e = entries[i];
    e.name.clear();
    e.value.clear();
    http::UriEncode(query[i].name, true, e.name);
    http::UriEncode(query[i].value, true, e.value);
    order.push_back(&e);
  }
  std::sort(order.begin(), order.end(), [](const QueryEntry* a, const QueryEntry* b) {
    return a->name != b->name ? a->name < b->name : a->value < b->value;
  });
  for (size_t i = 0; i < order.size(); ++i) {
    if (i != 0) out.push_back('&');
    out.append(order[i]->name).append("=").append(order[i]->value);
  }
}

void AppendCanonicalValue(std::string_view value, std::string& out) {
  bool pending_space = false;
  bool any = false;
  for (char c : value) {
    if (c == ' ' || c == '\t') {
      pending_space = any;
      continue;
    }
    if (pending_space) out.push_back(' ');
    pending_space = false;
    any = true;
    out.push_back(c);
  }
}

Status AppendCanonicalHeaders(const http::Request& request, std::string_view signed_headers,
                              std::string& out) {
  std::string_view rest = signed_headers;
  while (!rest.empty()) {
    size_t semi = rest.find(';');
    std::string_view name = rest.substr(0, semi);
    rest = semi == std::string_view::npos ? std::string_view{} : rest.substr(semi + 1);
    out.append(name).push_back(':');
    bool found = false;
    for (const http::Header& h : request.headers) {
      if (!http::ascii::EqualsIgnoreCase(h.name, name)) continue;
      if (found) out.push_back(',');
      AppendCanonicalValue(h.value, out);
      found = true;
    }
    if (!found) {
      if (name == "host" && !request.host.empty()) {
        AppendCanonicalValue(request.host, out);
      } else if (name == "content-length" && request.content_length) {
        char buf[24];
        auto r = std::to_chars(buf, buf + sizeof(buf), *request.content_length);
        out.append(buf, r.ptr);
      } else if (name == "expect") {
        // Some proxies strip a signed "Expect: 100-continue"; clients only ever sign that value.
        out.append("100-continue");
      } else {
        return Status(Code::kSignatureMismatch,
                      "a header listed in SignedHeaders is missing from the request");
      }
    }
    out.push_back('\n');
  }
  return Status::Ok();
}

Status BuildCanonicalRequest(const http::Request& request, std::span<const http::QueryParam> query,
                             bool presigned, std::string_view signed_headers,
                             std::string_view payload_hash, std::string& out) {
  out.clear();
  out.append(request.method_name).push_back('\n');
  AppendCanonicalUri(request.path, out);
  out.push_back('\n');
  AppendCanonicalQuery(query, presigned, out);
  out.push_back('\n');
  FS_RETURN_IF_ERROR(AppendCanonicalHeaders(request, signed_headers, out));
  out.push_back('\n');
  out.append(signed_headers).push_back('\n');
  out.append(payload_hash);
  return Status::Ok();
}

void BuildStringToSign(std::string_view amz_date, std::string_view scope,
                       std::string_view canonical_request, std::string& out) {
  HexDigest hash = ToHex(Sha256Of(canonical_request));
  out.clear();
  out.append(kAlgorithm).push_back('\n');
  out.append(amz_date).push_back('\n');
  out.append(scope).push_back('\n');
  out.append(View(hash));
}

}  // namespace flashstor::auth
