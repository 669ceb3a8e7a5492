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
  size_t head_bytes = 0;    // on kComplete: bytes of the head, body starts here
  int http_status = 0;      // on kError: 400, 413, 414, 431, 501 or 505
  std::string_view reason;  // on kError: static text for logs
};

class RequestParser {
 public:
  explicit RequestParser(const Limits& limits) : limits_(limits) {}

  // buf holds every byte received so far for this request (it only grows between calls; it
  // may move, only offsets are remembered). Each call scans only the new bytes for the end of
  // the head, then parses the whole head once. Fills *out on kComplete (views into buf,
  // header array from arena.allocate_scoped); *out is untouched otherwise. Returns kError as
  // soon as a limit is exceeded, even before the head is complete. Empty lines before the
  // request line are skipped (RFC 9112 §2.2) and counted in head_bytes. Line endings must be
  // CRLF: a bare LF anywhere in the head is rejected with 400 (no smuggling by disagreement).
  // After kComplete or kError, call reset() before parsing anything else.
  ParseOutcome parse(std::string_view buf, mem::Arena& arena, Request* out);

  // Forget progress; call before parsing the next request on the connection.
  void reset() {
    scanned_ = 0;
    start_ = 0;
    line_start_ = 0;
    request_line_end_ = 0;
    lines_ = 0;
  }

 private:
  ParseOutcome scan(std::string_view buf);

  const Limits& limits_;
  size_t scanned_ = 0;           // bytes already searched for the end of the head
  size_t start_ = 0;             // first byte of the request line (after empty lines)
  size_t line_start_ = 0;        // first byte of the line being scanned
  size_t request_line_end_ = 0;  // one past the request line's LF; 0 until seen
  size_t lines_ = 0;             // complete lines seen, request line included
};

}  // namespace flashstor::http
