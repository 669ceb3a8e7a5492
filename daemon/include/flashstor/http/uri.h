// Percent-encoding and query strings, as S3 and SigV4 define them (RFC 3986 unreserved set).
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "flashstor/common/status.h"
#include "flashstor/mem/arena.h"

namespace flashstor::http {

struct QueryParam {
  std::string_view name;   // decoded
  std::string_view value;  // decoded; empty when absent ("?uploads")
  std::string_view raw_name;
  std::string_view raw_value;
  bool has_value = false;  // "a=" vs "a"
};

// Decodes %XX (and '+' as space only when plus_is_space); %00 decodes to a NUL byte (rejecting
// it is the caller's call). Returns `in` itself (no copy) when there is nothing to decode, else
// a copy in the arena (scoped). kInvalidArgument on a malformed escape ("%", "%4", "%zz"),
// kTooLarge when an input that needs decoding exceeds an arena block (64 KiB).
Result<std::string_view> PercentDecode(std::string_view in, mem::Arena& arena,
                                       bool plus_is_space = false);
// Parses a raw query string into decoded parameters (array in the arena), in order of
// appearance. Splits on '&' (empty segments skipped), then on the first '='; names and values
// are percent-decoded with '+' as space (form encoding, as S3 clients send it); raw_* keep the
// undecoded text for SigV4 canonicalisation. At most max_params, else kInvalidArgument.
Result<std::span<const QueryParam>> ParseQuery(std::string_view raw, mem::Arena& arena,
                                               size_t max_params = 64);
// Finds the first parameter with that decoded name (case-sensitive); nullptr if absent.
const QueryParam* FindParam(std::span<const QueryParam> params, std::string_view name);

// SigV4 / S3 URI encoding: unreserved chars kept, everything else %XX uppercase.
// encode_slash=false keeps '/'.
void UriEncode(std::string_view in, bool encode_slash, std::string& out);
std::string UriEncode(std::string_view in, bool encode_slash);

}  // namespace flashstor::http
