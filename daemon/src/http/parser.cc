// RequestParser: resumable scan for the end of a request head (new bytes only), then one
// strict pass over the head (RFC 9112) into views of the caller's buffer.
#include "flashstor/http/parser.h"

#include <cstring>

#include "flashstor/http/ascii.h"

namespace flashstor::http {
namespace {

constexpr ParseOutcome Fail(int status, std::string_view reason) {
  return ParseOutcome{ParseState::kError, 0, status, reason};
}
constexpr ParseOutcome kOk{ParseState::kComplete, 0, 0, {}};

Method MethodFromName(std::string_view m) {
  if (m == "GET") return Method::kGet;
  if (m == "PUT") return Method::kPut;
  if (m == "HEAD") return Method::kHead;
  if (m == "POST") return Method::kPost;
  if (m == "DELETE") return Method::kDelete;
  if (m == "OPTIONS") return Method::kOptions;
  return Method::kOther;
}

bool IsDigit(char c) {
  return c >= '0' && c <= '9';
}

// Octets of a request-target: visible ASCII and obs-text (UTF-8 keys sent raw); no fragment.
bool IsTargetChar(char ch) {
  unsigned char c = static_cast<unsigned char>(ch);
  return c > 0x20 && c != 0x7f && c != '#';
}

bool StartsWithIgnoreCase(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && ascii::EqualsIgnoreCase(s.substr(0, prefix.size()), prefix);
}

void SplitPathQuery(std::string_view t, Request* r) {
  size_t q = t.find('?');
  r->path = t.substr(0, q);
  r->query = q == std::string_view::npos ? std::string_view() : t.substr(q + 1);
}

ParseOutcome ParseTarget(std::string_view target, Request* r) {
  if (target.empty()) return Fail(400, "empty request-target");
  for (char c : target) {
    if (!IsTargetChar(c)) return Fail(400, "invalid character in request-target");
  }
  r->target = target;
  if (target == "*") {
    if (r->method != Method::kOptions) return Fail(400, "'*' target without OPTIONS");
    r->path = target;
    return kOk;
  }
  if (target.front() == '/') {
    SplitPathQuery(target, r);
    return kOk;
  }
  // absolute-form: keep only the path and query (RFC 9112 §3.2.2).
  size_t scheme = StartsWithIgnoreCase(target, "http://")    ? 7
                  : StartsWithIgnoreCase(target, "https://") ? 8
                                                             : 0;
  if (scheme == 0) return Fail(400, "unsupported request-target form");
  std::string_view rest = target.substr(scheme);
  size_t end = rest.find_first_of("/?");
  if (end == 0 || rest.empty()) return Fail(400, "absolute-form without authority");
  rest = end == std::string_view::npos ? std::string_view() : rest.substr(end);
  if (rest.empty() || rest.front() == '?') {
    r->path = "/";
    r->query = rest.empty() ? rest : rest.substr(1);
    return kOk;
  }
  SplitPathQuery(rest, r);
  return kOk;
}

ParseOutcome ParseRequestLine(std::string_view line, Request* r) {
  size_t sp1 = line.find(' ');
  if (sp1 == std::string_view::npos) return Fail(400, "malformed request line");
  std::string_view method = line.substr(0, sp1);
  if (!ascii::IsToken(method)) return Fail(400, "invalid method");
  std::string_view rest = line.substr(sp1 + 1);
  size_t sp2 = rest.find(' ');
  if (sp2 == std::string_view::npos) return Fail(400, "malformed request line");
  std::string_view version = rest.substr(sp2 + 1);
  if (version.size() != 8 || version.substr(0, 5) != "HTTP/" || !IsDigit(version[5]) ||
      version[6] != '.' || !IsDigit(version[7])) {
    return Fail(400, "malformed HTTP version");
  }
  if (version[5] != '1' || (version[7] != '0' && version[7] != '1')) {
    return Fail(505, "HTTP version not supported");
  }
  r->minor_version = version[7] - '0';
  r->method_name = method;
  r->method = MethodFromName(method);
  return ParseTarget(rest.substr(0, sp2), r);
}

// `block` is the header lines, each ending in CRLF; `count` how many the scan saw.
ParseOutcome ParseHeaders(std::string_view block, size_t count, mem::Arena& arena, Request* r) {
  if (count == 0) return kOk;
  Header* headers = arena.allocate_scoped_array<Header>(count);
  if (headers == nullptr) return Fail(431, "too many header fields");
  size_t n = 0;
  size_t pos = 0;
  while (pos < block.size() && n < count) {
    size_t eol = block.find("\r\n", pos);
    if (eol == std::string_view::npos) return Fail(400, "malformed header section");
    std::string_view line = block.substr(pos, eol - pos);
    pos = eol + 2;
    if (line.empty() || ascii::IsWhitespace(line.front())) {
      return Fail(400, "obsolete line folding");
    }
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) return Fail(400, "header field without ':'");
    std::string_view name = line.substr(0, colon);
    if (!ascii::IsToken(name)) return Fail(400, "invalid header field name");
    std::string_view value = ascii::TrimWhitespace(line.substr(colon + 1));
    for (char c : value) {
      if (!ascii::IsFieldValueChar(c)) return Fail(400, "invalid character in header value");
    }
    headers[n++] = Header{name, value};
  }
  if (n != count || pos != block.size()) return Fail(400, "malformed header section");
  r->headers = std::span<const Header>(headers, n);
  return kOk;
}

// 1*DIGIT; false when malformed. Values past UINT64_MAX saturate (then fail the body limit).
bool ParseContentLength(std::string_view v, uint64_t* out) {
  if (v.empty()) return false;
  uint64_t n = 0;
  for (char c : v) {
    if (!IsDigit(c)) return false;
    uint64_t d = static_cast<uint64_t>(c - '0');
    n = n > (UINT64_MAX - d) / 10 ? UINT64_MAX : n * 10 + d;
  }
  *out = n;
  return true;
}

// Applies one Connection header value ("close", "keep-alive", other tokens ignored).
void ScanConnection(std::string_view v, bool* close, bool* keep) {
  while (!v.empty()) {
    size_t comma = v.find(',');
    std::string_view tok = ascii::TrimWhitespace(v.substr(0, comma));
    if (ascii::EqualsIgnoreCase(tok, "close")) *close = true;
    if (ascii::EqualsIgnoreCase(tok, "keep-alive")) *keep = true;
    v = comma == std::string_view::npos ? std::string_view() : v.substr(comma + 1);
  }
}

struct Framing {
  int content_lengths = 0;
  uint64_t content_length = 0;
  int transfer_encodings = 0;
  std::string_view transfer_encoding;
  int hosts = 0;
  bool close = false;
  bool keep = false;
};

ParseOutcome CollectFraming(Request* r, Framing* f) {
  for (const Header& h : r->headers) {
    if (ascii::EqualsIgnoreCase(h.name, "content-length")) {
      uint64_t n = 0;
      if (!ParseContentLength(h.value, &n)) return Fail(400, "invalid Content-Length");
      if (f->content_lengths++ != 0 && n != f->content_length) {
        return Fail(400, "conflicting Content-Length");
      }
      f->content_length = n;
    } else if (ascii::EqualsIgnoreCase(h.name, "transfer-encoding")) {
      ++f->transfer_encodings;
      f->transfer_encoding = h.value;
    } else if (ascii::EqualsIgnoreCase(h.name, "host")) {
      ++f->hosts;
      r->host = h.value;
    } else if (ascii::EqualsIgnoreCase(h.name, "connection")) {
      ScanConnection(h.value, &f->close, &f->keep);
    } else if (ascii::EqualsIgnoreCase(h.name, "expect")) {
      // RFC 9110 §10.1.1: ignore 100-continue from HTTP/1.0 clients.
      r->expect_continue =
          r->minor_version == 1 && ascii::EqualsIgnoreCase(h.value, "100-continue");
    }
  }
  return kOk;
}

ParseOutcome DeriveFraming(Request* r, const Limits& limits) {
  Framing f;
  ParseOutcome o = CollectFraming(r, &f);
  if (o.state == ParseState::kError) return o;
  if (f.hosts > 1) return Fail(400, "multiple Host fields");
  if (f.hosts == 0 && r->minor_version == 1) return Fail(400, "missing Host");
  if (f.transfer_encodings > 0) {
    // RFC 9112 §6.1: TE with CL (smuggling), or TE from a 1.0 client, is a faulty request.
    if (f.content_lengths > 0) return Fail(400, "both Transfer-Encoding and Content-Length");
    if (r->minor_version == 0) return Fail(400, "Transfer-Encoding in HTTP/1.0");
    if (f.transfer_encodings > 1 || !ascii::EqualsIgnoreCase(f.transfer_encoding, "chunked")) {
      return Fail(501, "unsupported Transfer-Encoding");
    }
    r->chunked = true;
  }
  if (f.content_lengths > 0) {
    if (f.content_length > limits.max_body_bytes) return Fail(413, "body too large");
    r->content_length = f.content_length;
  }
  r->keep_alive = r->minor_version == 1 ? !f.close : (f.keep && !f.close);
  return kOk;
}

}  // namespace

ParseOutcome RequestParser::scan(std::string_view buf) {
  if (request_line_end_ == 0 && scanned_ == start_) {
    // Empty lines before the request line are ignored (RFC 9112 §2.2).
    while (start_ + 1 < buf.size() && buf[start_] == '\r' && buf[start_ + 1] == '\n') start_ += 2;
    if (start_ > limits_.max_head_bytes) return Fail(431, "request head too large");
    scanned_ = line_start_ = start_;
    if (start_ + 1 == buf.size() && buf[start_] == '\r') return ParseOutcome{};
  }
  size_t i = scanned_;
  while (i < buf.size()) {
    const void* lf = std::memchr(buf.data() + i, '\n', buf.size() - i);
    if (lf == nullptr) break;
    i = static_cast<size_t>(static_cast<const char*>(lf) - buf.data());
    if (i == 0 || buf[i - 1] != '\r') return Fail(400, "bare LF in request head");
    if (request_line_end_ == 0) {
      if (i - 1 - start_ > limits_.max_request_line) return Fail(414, "request line too long");
      request_line_end_ = i + 1;
    } else if (i - 1 == line_start_) {
      scanned_ = i + 1;
      if (i + 1 > limits_.max_head_bytes) return Fail(431, "request head too large");
      return ParseOutcome{ParseState::kComplete, i + 1, 0, {}};
    }
    if (++lines_ - 1 > limits_.max_headers) return Fail(431, "too many header fields");
    line_start_ = ++i;
  }
  scanned_ = buf.size();
  if (buf.size() > limits_.max_head_bytes) return Fail(431, "request head too large");
  if (request_line_end_ == 0 && buf.size() - start_ > limits_.max_request_line + 1) {
    return Fail(414, "request line too long");
  }
  return ParseOutcome{};
}

ParseOutcome RequestParser::parse(std::string_view buf, mem::Arena& arena, Request* out) {
  ParseOutcome done = scan(buf);
  if (done.state != ParseState::kComplete) return done;
  Request r;
  ParseOutcome o = ParseRequestLine(buf.substr(start_, request_line_end_ - 2 - start_), &r);
  if (o.state == ParseState::kError) return o;
  std::string_view block = buf.substr(request_line_end_, done.head_bytes - 2 - request_line_end_);
  o = ParseHeaders(block, lines_ - 1, arena, &r);
  if (o.state == ParseState::kError) return o;
  o = DeriveFraming(&r, limits_);
  if (o.state == ParseState::kError) return o;
  *out = r;
  return done;
}

}  // namespace flashstor::http
