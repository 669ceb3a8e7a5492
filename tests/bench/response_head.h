// ParseResponseHead: the parts of an HTTP/1.1 response head a load generator needs (status,
// body framing, keep-alive), from a complete head ending in an empty line.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "flashstor/common/status.h"

namespace flashstor::bench {

struct ResponseHead {
  int status = 0;
  int minor_version = 1;
  std::optional<uint64_t> content_length;
  bool chunked = false;    // Transfer-Encoding ends in "chunked"
  bool keep_alive = true;  // false on "Connection: close" (or HTTP/1.0 without keep-alive)
};

// `head` is everything up to and including the first "\r\n\r\n". kInvalidArgument when the
// status line or a header line is malformed, a Content-Length is not a decimal number, appears
// twice with different values or exceeds kMaxContentLength, or both framings are present.
inline constexpr uint64_t kMaxContentLength = uint64_t{1} << 40;
Result<ResponseHead> ParseResponseHead(std::string_view head);

// Parses a chunk-size line's hex size (extensions after ';' ignored); nullopt when malformed
// or above kMaxContentLength.
std::optional<uint64_t> ParseChunkSize(std::string_view line);

}  // namespace flashstor::bench
