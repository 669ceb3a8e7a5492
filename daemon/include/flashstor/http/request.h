// An HTTP/1.1 request head as parsed into a connection's arena: every view points into the
// connection's read buffer or arena (or static text), valid until the arena is reset after the
// response.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace flashstor::http {

enum class Method : uint8_t { kGet, kHead, kPut, kPost, kDelete, kOptions, kOther };

struct Header {
  std::string_view name;   // as sent (case preserved)
  std::string_view value;  // leading/trailing whitespace trimmed
};

struct Request {
  Method method = Method::kOther;
  std::string_view method_name;
  std::string_view target;  // raw request-target
  std::string_view path;    // raw (still percent-encoded) part before '?'; "/" for an
                            // absolute-form target without a path, "*" for OPTIONS *
  std::string_view query;   // raw part after '?', without it; empty if none
  int minor_version = 1;
  std::span<const Header> headers;

  // Derived while parsing.
  std::optional<uint64_t> content_length;  // absent when chunked or no body
  bool chunked = false;                    // Transfer-Encoding: chunked
  bool expect_continue = false;            // Expect: 100-continue (ignored from HTTP/1.0 clients)
  // HTTP/1.1: true unless "Connection: close"; HTTP/1.0: false unless "Connection: keep-alive".
  bool keep_alive = true;
  std::string_view host;  // Host field (required, exactly once, for HTTP/1.1)

  // Case-insensitive lookup of the first header with that name; empty if absent.
  std::string_view header(std::string_view name) const;
  // The same lookup, nullptr if absent (tells an empty header from a missing one).
  const Header* find_header(std::string_view name) const;
  bool has_header(std::string_view name) const;
};

}  // namespace flashstor::http
