// Resumable, zero-copy HTTP/1.1 request-head parser: called again as more bytes arrive on the
// connection, it resumes its scan for the end of the head and then parses it in one pass,
// leaving views into the caller's buffer and header arrays in the arena.
#pragma once

#include <cstddef>
#include <string_view>

#include "flashstor/http/request.h"
#include "flashstor/mem/arena.h"

namespace flashstor::http {

struct Limits {
  size_t max_head_bytes = 16 * 1024;     // request line + headers, else 431
  size_t max_request_line = 8 * 1024;    // else 414
  size_t max_headers = 100;              // header count, else 431
  uint64_t max_body_bytes = 5ull << 40;  // 5 TiB (S3's object limit), else 413
};

enum class ParseState : uint8_t { kIncomplete, kComplete, kError };

struct ParseOutcome {
  ParseState state = ParseState::kIncomplete;
  size_t head_bytes = 0;  // on kComplete: bytes of the head, body starts here
  int http_status = 0;    // on kError: 400, 414, 431, 501 or 505
  std::string_view reason;  // on kError: static text for logs
};

class RequestParser {
 public:
  explicit RequestParser(const Limits& limits) : limits_(limits) {}

  // buf holds every byte received so far for this request (it only grows between calls).
  // Fills *out on kComplete; header arrays come from arena. Returns kError as soon as a limit
  // is exceeded, even before the head is complete.
  ParseOutcome parse(std::string_view buf, mem::Arena& arena, Request* out);

  // Forget progress; call before parsing the next request on the connection.
  void reset() { scanned_ = 0; }

 private:
  const Limits& limits_;
  size_t scanned_ = 0;  // bytes already searched for the end of the head
};

}  // namespace flashstor::http
