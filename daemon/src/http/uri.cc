// Percent-decoding, query-string parsing and SigV4 URI encoding (RFC 3986 unreserved set).
#include "flashstor/http/uri.h"

#include "flashstor/http/ascii.h"

namespace flashstor::http {
namespace {

constexpr char kHexUpper[] = "0123456789ABCDEF";

bool IsUnreserved(char ch) {
  unsigned char c = static_cast<unsigned char>(ch);
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.' || c == '~';
}

}  // namespace

Result<std::string_view> PercentDecode(std::string_view in, mem::Arena& arena, bool plus_is_space) {
  if (in.find('%') == std::string_view::npos &&
      (!plus_is_space || in.find('+') == std::string_view::npos)) {
    return in;  // nothing to decode: no copy
  }
  // The decoded form is never longer than the input.
  char* out = static_cast<char*>(arena.allocate_scoped(in.size(), 1));
  if (out == nullptr) return Err(Code::kTooLarge, "encoded string too long");
  size_t n = 0;
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '%') {
      int hi = i + 2 < in.size() ? ascii::HexValue(in[i + 1]) : -1;
      int lo = hi >= 0 ? ascii::HexValue(in[i + 2]) : -1;
      if (lo < 0) return Err(Code::kInvalidArgument, "malformed percent-encoding");
      c = static_cast<char>(hi * 16 + lo);
      i += 2;
    } else if (c == '+' && plus_is_space) {
      c = ' ';
    }
    out[n++] = c;
  }
  return std::string_view(out, n);
}

Result<std::span<const QueryParam>> ParseQuery(std::string_view raw, mem::Arena& arena,
                                               size_t max_params) {
  size_t count = 0;
  for (size_t pos = 0; pos <= raw.size();) {
    size_t amp = raw.find('&', pos);
    if (amp == std::string_view::npos) amp = raw.size();
    if (amp > pos) ++count;  // empty segments ("a&&b", trailing '&') are skipped
    pos = amp + 1;
  }
  if (count == 0) return std::span<const QueryParam>();
  if (count > max_params) return Err(Code::kInvalidArgument, "too many query parameters");
  QueryParam* params = arena.allocate_scoped_array<QueryParam>(count);
  if (params == nullptr) return Err(Code::kTooLarge, "too many query parameters");
  size_t n = 0;
  for (size_t pos = 0; pos <= raw.size();) {
    size_t amp = raw.find('&', pos);
    if (amp == std::string_view::npos) amp = raw.size();
    std::string_view seg = raw.substr(pos, amp - pos);
    pos = amp + 1;
    if (seg.empty()) continue;
    QueryParam& p = params[n++];
    p = QueryParam{};
    size_t eq = seg.find('=');
    p.raw_name = seg.substr(0, eq);
    p.has_value = eq != std::string_view::npos;
    p.raw_value = p.has_value ? seg.substr(eq + 1) : std::string_view();
    // '+' means space in query strings (form encoding), as S3 clients and Go's net/url read it.
    Result<std::string_view> name = PercentDecode(p.raw_name, arena, true);
    if (!name) return std::unexpected(name.error());
    Result<std::string_view> value = PercentDecode(p.raw_value, arena, true);
    if (!value) return std::unexpected(value.error());
    p.name = *name;
    p.value = *value;
  }
  return std::span<const QueryParam>(params, n);
}

const QueryParam* FindParam(std::span<const QueryParam> params, std::string_view name) {
  for (const QueryParam& p : params) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

void UriEncode(std::string_view in, bool encode_slash, std::string& out) {
  out.reserve(out.size() + in.size());
  for (char c : in) {
    if (IsUnreserved(c) || (c == '/' && !encode_slash)) {
      out.push_back(c);
    } else {
      unsigned char u = static_cast<unsigned char>(c);
      out.push_back('%');
      out.push_back(kHexUpper[u >> 4]);
      out.push_back(kHexUpper[u & 0xf]);
    }
  }
}

std::string UriEncode(std::string_view in, bool encode_slash) {
  std::string out;
  UriEncode(in, encode_slash, out);
  return out;
}

}  // namespace flashstor::http
