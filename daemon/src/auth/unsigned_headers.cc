// CheckHeadersSigned: refuses requests whose signature leaves host or an x-amz-* header
// uncovered, so a header the signer never saw (x-amz-copy-source, x-amz-meta-*) is never acted on.
#include "unsigned_headers.h"

#include "flashstor/http/ascii.h"

namespace flashstor::auth {
namespace {

using http::ascii::EqualsIgnoreCase;
using http::ascii::ToLower;

bool IsAmzHeader(std::string_view name) {
  return name.size() >= 6 && EqualsIgnoreCase(name.substr(0, 6), "x-amz-");
}

// True when the ';'-separated lowercase list holds name (any case).
bool ListHolds(std::string_view list, std::string_view name) {
  while (true) {
    size_t semi = list.find(';');
    if (EqualsIgnoreCase(name, list.substr(0, semi))) return true;
    if (semi == std::string_view::npos) return false;
    list.remove_prefix(semi + 1);
  }
}

// True when the ", "-joined lowercase list already holds name (any case).
bool JoinedHolds(std::string_view joined, std::string_view name) {
  while (!joined.empty()) {
    size_t comma = joined.find(", ");
    if (EqualsIgnoreCase(name, joined.substr(0, comma))) return true;
    if (comma == std::string_view::npos) return false;
    joined.remove_prefix(comma + 2);
  }
  return false;
}

void AppendLower(std::string_view name, std::string& out) {
  if (!out.empty()) out.append(", ");
  for (char c : name) out.push_back(ToLower(c));
}

}  // namespace

Status CheckHeadersSigned(const http::Request& request, std::string_view signed_headers,
                          bool presigned, std::string* not_signed) {
  // First pass without allocating: the common case is a fully signed request.
  bool host_signed = ListHolds(signed_headers, "host");
  bool all_signed = host_signed;
  for (const http::Header& h : request.headers) {
    if (!all_signed) break;
    if (!IsAmzHeader(h.name) || ListHolds(signed_headers, h.name)) continue;
    if (presigned && EqualsIgnoreCase(h.name, "x-amz-content-sha256")) continue;
    all_signed = false;
  }
  if (all_signed) return Status::Ok();
  if (not_signed != nullptr) {
    not_signed->clear();
    if (!host_signed) AppendLower("host", *not_signed);
    for (const http::Header& h : request.headers) {
      if (!IsAmzHeader(h.name) || ListHolds(signed_headers, h.name)) continue;
      if (presigned && EqualsIgnoreCase(h.name, "x-amz-content-sha256")) continue;
      if (!JoinedHolds(*not_signed, h.name)) AppendLower(h.name, *not_signed);
    }
  }
  return Status(Code::kAccessDenied, kHeadersNotSignedMessage);
}

}  // namespace flashstor::auth
