// ParseResponseHead / ParseChunkSize: a strict little response-head reader for the load
// generator; the server under test is the thing being measured, not trusted.
#include "response_head.h"

#include <algorithm>

namespace flashstor::bench {
namespace {

bool IEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
           return lower(x) == lower(y);
         });
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// True when the comma-separated list `value` holds `token` (case-insensitive).
bool ListHas(std::string_view value, std::string_view token) {
  while (!value.empty()) {
    const size_t comma = value.find(',');
    if (IEquals(Trim(value.substr(0, comma)), token)) return true;
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  return false;
}

std::optional<uint64_t> ParseDecimal(std::string_view s) {
  if (s.empty() || s.size() > 19) return std::nullopt;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  return v;
}

Status ParseStatusLine(std::string_view line, ResponseHead& out) {
  // "HTTP/1.x SSS reason"
  if (line.size() < 12 || line.substr(0, 7) != "HTTP/1." || line[8] != ' ' ||
      (line[7] != '0' && line[7] != '1')) {
    return Status(Code::kInvalidArgument, "bad status line");
  }
  out.minor_version = line[7] - '0';
  const std::string_view code = line.substr(9, 3);
  if (!std::all_of(code.begin(), code.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
      code[0] < '1' || (line.size() > 12 && line[12] != ' ')) {
    return Status(Code::kInvalidArgument, "bad status code");
  }
  out.status = (code[0] - '0') * 100 + (code[1] - '0') * 10 + (code[2] - '0');
  out.keep_alive = out.minor_version == 1;
  return Status::Ok();
}

Status ApplyHeader(std::string_view name, std::string_view value, ResponseHead& out) {
  if (IEquals(name, "content-length")) {
    auto n = ParseDecimal(value);
    if (!n || *n > kMaxContentLength) return Status(Code::kInvalidArgument, "bad content-length");
    if (out.content_length && *out.content_length != *n) {
      return Status(Code::kInvalidArgument, "conflicting content-length");
    }
    out.content_length = *n;
  } else if (IEquals(name, "transfer-encoding")) {
    const size_t comma = value.rfind(',');
    const std::string_view last =
        Trim(comma == std::string_view::npos ? value : value.substr(comma + 1));
    if (!IEquals(last, "chunked")) return Status(Code::kInvalidArgument, "unknown framing");
    out.chunked = true;
  } else if (IEquals(name, "connection")) {
    if (ListHas(value, "close")) out.keep_alive = false;
    if (ListHas(value, "keep-alive") && out.minor_version == 0) out.keep_alive = true;
  }
  return Status::Ok();
}

}  // namespace

Result<ResponseHead> ParseResponseHead(std::string_view head) {
  if (head.size() < 4 || head.substr(head.size() - 4) != "\r\n\r\n") {
    return Err(Code::kInvalidArgument, "head does not end in an empty line");
  }
  head.remove_suffix(2);  // every line, the last included, now ends in "\r\n"
  ResponseHead out;
  size_t eol = head.find("\r\n");
  FS_RETURN_IF_ERROR(ParseStatusLine(head.substr(0, eol), out));
  head.remove_prefix(eol + 2);
  while (!head.empty()) {
    eol = head.find("\r\n");
    const std::string_view line = head.substr(0, eol);
    head.remove_prefix(eol + 2);
    const size_t colon = line.find(':');
    if (colon == 0 || colon == std::string_view::npos) {
      return Err(Code::kInvalidArgument, "bad header line");
    }
    const std::string_view name = line.substr(0, colon);
    if (name.find_first_of(" \t") != std::string_view::npos) {
      return Err(Code::kInvalidArgument, "whitespace in header name");
    }
    FS_RETURN_IF_ERROR(ApplyHeader(name, Trim(line.substr(colon + 1)), out));
  }
  if (out.chunked && out.content_length) {
    return Err(Code::kInvalidArgument, "both content-length and chunked");
  }
  return out;
}

std::optional<uint64_t> ParseChunkSize(std::string_view line) {
  line = Trim(line.substr(0, line.find(';')));
  if (line.empty() || line.size() > 11) return std::nullopt;  // 16^11 > 2^40
  uint64_t v = 0;
  for (char c : line) {
    int d;
    if (c >= '0' && c <= '9') {
      d = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      d = c - 'a' + 10;
    } else if (c >= 'A' && c <= 'F') {
      d = c - 'A' + 10;
    } else {
      return std::nullopt;
    }
    v = v * 16 + static_cast<uint64_t>(d);
  }
  if (v > kMaxContentLength) return std::nullopt;
  return v;
}

}  // namespace flashstor::bench
