// libFuzzer harness: the request-head parser fed in pieces (resumable scan), then the body
// framing it chose (Content-Length or chunked) and the URI helpers over what it produced.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

#include "flashstor/http/body.h"
#include "memory_transport.h"
#include "flashstor/http/parser.h"
#include "flashstor/http/uri.h"
#include "flashstor/mem/arena.h"

using namespace flashstor;
using namespace flashstor::http;

using flashstor::fuzz::MemoryTransport;

namespace {

bool Inside(std::string_view v, std::string_view buf) {
  return v.empty() || (v.data() >= buf.data() && v.data() + v.size() <= buf.data() + buf.size());
}

void CheckRequest(const Request& r, std::string_view head, mem::Arena& arena) {
  if (!Inside(r.path, head) && r.path != "/") abort();
  if (!Inside(r.query, head) || !Inside(r.method_name, head)) abort();
  for (const Header& h : r.headers) {
    if (!Inside(h.name, head) || !Inside(h.value, head) || h.name.empty()) abort();
  }
  if (r.chunked && r.content_length) abort();
  (void)r.header("content-type");
  (void)PercentDecode(r.path, arena);
  (void)ParseQuery(r.query, arena);
}

void DrainBody(const Request& r, std::string_view rest, size_t piece) {
  char buffer[512];
  size_t pre = std::min(rest.size(), sizeof(buffer));
  std::memcpy(buffer, rest.data(), pre);
  MemoryTransport transport(rest.substr(pre), piece);
  ConnectionInput input(buffer, std::string_view(buffer, pre), transport);
  ContentLengthBody cl(input, r.content_length.value_or(0));
  ChunkedBody chunked(input, 1 << 20);
  DataSource& body = r.chunked ? static_cast<DataSource&>(chunked) : cl;
  char out[97];
  for (int i = 0; i < 100000; ++i) {
    Result<size_t> n = body.read(out);
    if (!n || *n == 0) break;
    if (*n > sizeof(out)) abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  size_t piece = (data[0] & 0x3f) + 1;
  std::string buf(reinterpret_cast<const char*>(data + 1), size - 1);
  Limits limits;
  limits.max_head_bytes = 4096;
  limits.max_request_line = 1024;
  limits.max_headers = 32;
  limits.max_body_bytes = 1 << 20;
  RequestParser parser(limits);
  static mem::Arena arena;
  arena.reset();
  Request r;
  ParseOutcome o;
  for (size_t n = std::min(piece, buf.size());; n = std::min(n + piece, buf.size())) {
    o = parser.parse(std::string_view(buf).substr(0, n), arena, &r);
    if (o.state != ParseState::kIncomplete || n == buf.size()) break;
  }
  if (o.state == ParseState::kError && o.http_status == 0) abort();
  if (o.state != ParseState::kComplete) return 0;
  if (o.head_bytes > buf.size() || o.head_bytes > limits.max_head_bytes) abort();
  std::string_view head = std::string_view(buf).substr(0, o.head_bytes);
  if (!head.ends_with("\r\n\r\n")) abort();
  CheckRequest(r, head, arena);
  DrainBody(r, std::string_view(buf).substr(o.head_bytes), piece);
  return 0;
}
