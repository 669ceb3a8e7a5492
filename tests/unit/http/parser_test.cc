// Unit tests of RequestParser and Request: complete and byte-by-byte heads, pipelining, every
// limit and error status, derived framing fields, target forms and header lookup.
#include "cmocka_cpp.h"

#include <string>

#include "flashstor/http/parser.h"
#include "flashstor/mem/arena.h"

using namespace flashstor::http;
using flashstor::mem::Arena;

namespace {

struct Parsed {
  ParseOutcome outcome;
  Request req;
};

Parsed Parse(std::string_view buf, const Limits& limits = Limits{}) {
  static Arena arena;
  arena.reset();
  RequestParser parser(limits);
  Parsed p;
  p.outcome = parser.parse(buf, arena, &p.req);
  return p;
}

int Status(std::string_view buf, const Limits& limits = Limits{}) {
  Parsed p = Parse(buf, limits);
  if (p.outcome.state == ParseState::kComplete) return 200;
  if (p.outcome.state == ParseState::kIncomplete) return 0;
  return p.outcome.http_status;
}

std::string Req(std::string_view headers) {
  return "GET /b HTTP/1.1\r\nHost: h\r\n" + std::string(headers) + "\r\n";
}

void test_simple_get(void**) {
  std::string buf =
      "GET /bucket/key%20x?list-type=2&prefix=a HTTP/1.1\r\n"
      "Host: s3.local:9000\r\n"
      "X-Amz-Date:   20240101T000000Z  \r\n"
      "Empty:\r\n"
      "\r\n";
  Parsed p = Parse(buf);
  assert_int_equal(p.outcome.state, ParseState::kComplete);
  assert_int_equal(p.outcome.head_bytes, buf.size());
  const Request& r = p.req;
  assert_int_equal(r.method, Method::kGet);
  assert_true(r.method_name == "GET");
  assert_true(r.target == "/bucket/key%20x?list-type=2&prefix=a");
  assert_true(r.path == "/bucket/key%20x");
  assert_true(r.query == "list-type=2&prefix=a");
  assert_int_equal(r.minor_version, 1);
  assert_int_equal(r.headers.size(), 3);
  assert_true(r.host == "s3.local:9000");
  assert_true(r.header("x-amz-date") == "20240101T000000Z");
  assert_true(r.header("X-AMZ-DATE") == "20240101T000000Z");
  assert_true(r.headers[1].name == "X-Amz-Date");  // case preserved
  assert_true(r.has_header("empty"));
  assert_true(r.header("empty").empty());
  assert_false(r.has_header("missing"));
  assert_false(r.content_length.has_value());
  assert_false(r.chunked);
  assert_true(r.keep_alive);
  assert_false(r.expect_continue);
  // Views point into the caller's buffer: zero copy.
  assert_true(r.path.data() >= buf.data() && r.path.data() < buf.data() + buf.size());
  assert_true(r.headers[0].value.data() >= buf.data());
}

void test_methods(void**) {
  struct {
    const char* name;
    Method m;
  } cases[] = {{"GET", Method::kGet},       {"HEAD", Method::kHead},
               {"PUT", Method::kPut},       {"POST", Method::kPost},
               {"DELETE", Method::kDelete}, {"OPTIONS", Method::kOptions},
               {"PATCH", Method::kOther},   {"get", Method::kOther}};
  for (auto& c : cases) {
    std::string buf = std::string(c.name) + " / HTTP/1.1\r\nHost: h\r\n\r\n";
    Parsed p = Parse(buf);
    assert_int_equal(p.outcome.state, ParseState::kComplete);
    assert_int_equal(p.req.method, c.m);
    assert_true(p.req.method_name == c.name);
  }
}

void test_byte_by_byte(void**) {
  std::string buf =
      "PUT /b/k HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\nhello";
  size_t head = buf.size() - 5;
  Limits limits;
  RequestParser parser(limits);
  Arena arena;
  Request r;
  for (size_t n = 0; n < head; ++n) {
    ParseOutcome o = parser.parse(std::string_view(buf).substr(0, n), arena, &r);
    assert_int_equal(o.state, ParseState::kIncomplete);
    assert_true(r.method_name.empty());  // untouched until complete
  }
  ParseOutcome o = parser.parse(std::string_view(buf).substr(0, head), arena, &r);
  assert_int_equal(o.state, ParseState::kComplete);
  assert_int_equal(o.head_bytes, head);
  assert_int_equal(r.method, Method::kPut);
  assert_int_equal(*r.content_length, 5);
  assert_true(r.expect_continue);
  // Also when body bytes arrive in the same read as the end of the head.
  parser.reset();
  o = parser.parse(buf, arena, &r);
  assert_int_equal(o.state, ParseState::kComplete);
  assert_int_equal(o.head_bytes, head);
}

void test_pipelined(void**) {
  std::string buf =
      "GET /one HTTP/1.1\r\nHost: h\r\n\r\n"
      "\r\n"  // stray CRLF between requests is skipped
      "DELETE /two?x HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n"
      "GET /thr";
  Limits limits;
  RequestParser parser(limits);
  Arena arena;
  Request r;
  ParseOutcome o = parser.parse(buf, arena, &r);
  assert_int_equal(o.state, ParseState::kComplete);
  assert_true(r.path == "/one");
  assert_true(r.keep_alive);
  std::string_view rest = std::string_view(buf).substr(o.head_bytes);
  parser.reset();
  o = parser.parse(rest, arena, &r);
  assert_int_equal(o.state, ParseState::kComplete);
  assert_int_equal(r.method, Method::kDelete);
  assert_true(r.path == "/two");
  assert_true(r.query == "x");
  assert_false(r.keep_alive);
  rest = rest.substr(o.head_bytes);
  parser.reset();
  assert_int_equal(parser.parse(rest, arena, &r).state, ParseState::kIncomplete);
}

void test_leading_crlf_split(void**) {
  // "\r" then "\n" arriving separately before the request line must not end the head.
  std::string buf = "\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n";
  Limits limits;
  RequestParser parser(limits);
  Arena arena;
  Request r;
  assert_int_equal(parser.parse(std::string_view(buf).substr(0, 1), arena, &r).state,
                   ParseState::kIncomplete);
  assert_int_equal(parser.parse(std::string_view(buf).substr(0, 2), arena, &r).state,
                   ParseState::kIncomplete);
  ParseOutcome o = parser.parse(buf, arena, &r);
  assert_int_equal(o.state, ParseState::kComplete);
  assert_int_equal(o.head_bytes, buf.size());
  assert_true(r.path == "/");
}

void test_request_line_errors(void**) {
  assert_int_equal(Status("GET / HTTP/2.0\r\nHost: h\r\n\r\n"), 505);
  assert_int_equal(Status("GET / HTTP/1.2\r\nHost: h\r\n\r\n"), 505);
  assert_int_equal(Status("GET / HTTP/0.9\r\nHost: h\r\n\r\n"), 505);
  assert_int_equal(Status("GET / HTTX/1.1\r\nHost: h\r\n\r\n"), 400);
  assert_int_equal(Status("GET / HTTP/1.10\r\nHost: h\r\n\r\n"), 400);
  assert_int_equal(Status("GET / http/1.1\r\nHost: h\r\n\r\n"), 400);
  assert_int_equal(Status("GET /\r\nHost: h\r\n\r\n"), 400);
  assert_int_equal(Status("GET  / HTTP/1.1\r\nHost: h\r\n\r\n"), 400);
  assert_int_equal(Status("GET / HTTP/1.1 \r\nHost: h\r\n\r\n"), 400);
  assert_int_equal(Status("G(T / HTTP/1.1\r\nHost: h\r\n\r\n"), 400);
  assert_int_equal(Status(" GET / HTTP/1.1\r\nHost: h\r\n\r\n"), 400);
  assert_int_equal(Status("GET foo HTTP/1.1\r\nHost: h\r\n\r\n"), 400);
  assert_int_equal(Status("GET /a#frag HTTP/1.1\r\nHost: h\r\n\r\n"), 400);
  assert_int_equal(Status("GET /a\x01 HTTP/1.1\r\nHost: h\r\n\r\n"), 400);
  assert_int_equal(Status("GET /a\x7f HTTP/1.1\r\nHost: h\r\n\r\n"), 400);
  assert_int_equal(Status("GET * HTTP/1.1\r\nHost: h\r\n\r\n"), 400);
  assert_int_equal(Status("CONNECT h:443 HTTP/1.1\r\nHost: h\r\n\r\n"), 400);
  Parsed p = Parse("OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n");
  assert_int_equal(p.outcome.state, ParseState::kComplete);
  assert_true(p.req.path == "*");
  // Raw UTF-8 in the target is tolerated (obs-text), left to the S3 layer.
  assert_int_equal(Status("GET /\xc3\xa9 HTTP/1.1\r\nHost: h\r\n\r\n"), 200);
}

void test_absolute_form(void**) {
  Parsed p = Parse("GET http://h:9000/bucket/key?x=1 HTTP/1.1\r\nHost: h\r\n\r\n");
  assert_int_equal(p.outcome.state, ParseState::kComplete);
  assert_true(p.req.path == "/bucket/key");
  assert_true(p.req.query == "x=1");
  assert_true(p.req.target == "http://h:9000/bucket/key?x=1");
  p = Parse("GET HTTPS://h HTTP/1.1\r\nHost: h\r\n\r\n");
  assert_true(p.req.path == "/");
  assert_true(p.req.query.empty());
  p = Parse("GET http://h?uploads HTTP/1.1\r\nHost: h\r\n\r\n");
  assert_true(p.req.path == "/");
  assert_true(p.req.query == "uploads");
  assert_int_equal(Status("GET http:///x HTTP/1.1\r\nHost: h\r\n\r\n"), 400);
  assert_int_equal(Status("GET http:// HTTP/1.1\r\nHost: h\r\n\r\n"), 400);
  assert_int_equal(Status("GET ftp://h/x HTTP/1.1\r\nHost: h\r\n\r\n"), 400);
}

void test_header_errors(void**) {
  assert_int_equal(Status(Req("X-A: a\r\n b\r\n")), 400);   // obs-fold
  assert_int_equal(Status(Req("X-A: a\r\n\tb\r\n")), 400);  // obs-fold
  assert_int_equal(Status(Req("X-A : a\r\n")), 400);        // space before colon
  assert_int_equal(Status(Req("X-A a\r\n")), 400);          // no colon
  assert_int_equal(Status(Req(": a\r\n")), 400);            // empty name
  assert_int_equal(Status(Req("X(A): a\r\n")), 400);        // not a token
  assert_int_equal(Status(Req(std::string("X-A: a\0b\r\n", 10))), 400);
  assert_int_equal(Status(Req("X-A: a\x01\r\n")), 400);
  assert_int_equal(Status(Req("X-A: a\x7f\r\n")), 400);
  assert_int_equal(Status(Req("X-A: a\rb\r\n")), 400);         // lone CR
  assert_int_equal(Status(Req("X-A: caf\xc3\xa9\r\n")), 200);  // obs-text allowed
  assert_int_equal(Status(Req("X-A: a\tb\r\n")), 200);
}

void test_bare_lf_rejected(void**) {
  assert_int_equal(Status("GET / HTTP/1.1\nHost: h\n\n"), 400);
  assert_int_equal(Status("GET / HTTP/1.1\r\nHost: h\n\r\n"), 400);
  assert_int_equal(Status("GET / HTTP/1.1\r\nHost: h\r\n\n"), 400);
  assert_int_equal(Status("\nGET / HTTP/1.1\r\nHost: h\r\n\r\n"), 400);
  // Rejected as soon as it is seen, before the head is complete.
  assert_int_equal(Status("GET / HTTP/1.1\nHost"), 400);
}

void test_content_length(void**) {
  Parsed p = Parse(Req("Content-Length: 0\r\n"));
  assert_true(p.req.content_length.has_value());
  assert_int_equal(*p.req.content_length, 0);
  p = Parse(Req("Content-Length: 1234\r\ncontent-length: 1234\r\n"));
  assert_int_equal(p.outcome.state, ParseState::kComplete);
  assert_int_equal(*p.req.content_length, 1234);
  assert_int_equal(Status(Req("Content-Length: 12\r\nContent-Length: 13\r\n")), 400);
  assert_int_equal(Status(Req("Content-Length: abc\r\n")), 400);
  assert_int_equal(Status(Req("Content-Length: -1\r\n")), 400);
  assert_int_equal(Status(Req("Content-Length: +1\r\n")), 400);
  assert_int_equal(Status(Req("Content-Length: 1 2\r\n")), 400);
  assert_int_equal(Status(Req("Content-Length: 5, 5\r\n")), 400);
  assert_int_equal(Status(Req("Content-Length:\r\n")), 400);
  Limits small;
  small.max_body_bytes = 100;
  assert_int_equal(Status(Req("Content-Length: 100\r\n"), small), 200);
  assert_int_equal(Status(Req("Content-Length: 101\r\n"), small), 413);
  assert_int_equal(Status(Req("Content-Length: 99999999999999999999999999\r\n")), 413);
  p = Parse(Req("Content-Length: 5497558138880\r\n"));  // 5 TiB: the default limit itself
  assert_int_equal(p.outcome.state, ParseState::kComplete);
  assert_int_equal(Status(Req("Content-Length: 5497558138881\r\n")), 413);
}

void test_transfer_encoding(void**) {
  Parsed p = Parse(Req("Transfer-Encoding: chunked\r\n"));
  assert_int_equal(p.outcome.state, ParseState::kComplete);
  assert_true(p.req.chunked);
  assert_false(p.req.content_length.has_value());
  assert_true(Parse(Req("transfer-encoding: CHUNKED\r\n")).req.chunked);
  assert_int_equal(Status(Req("Transfer-Encoding: gzip\r\n")), 501);
  assert_int_equal(Status(Req("Transfer-Encoding: gzip, chunked\r\n")), 501);
  assert_int_equal(Status(Req("Transfer-Encoding: chunked, chunked\r\n")), 501);
  assert_int_equal(Status(Req("Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n")),
                   501);
  assert_int_equal(Status(Req("Transfer-Encoding: chunked\r\nContent-Length: 5\r\n")), 400);
  assert_int_equal(Status(Req("Content-Length: 5\r\nTransfer-Encoding: chunked\r\n")), 400);
  assert_int_equal(Status("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n"), 400);
}

void test_host(void**) {
  assert_int_equal(Status("GET / HTTP/1.1\r\n\r\n"), 400);
  assert_int_equal(Status("GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n"), 400);
  Parsed p = Parse("GET / HTTP/1.0\r\n\r\n");
  assert_int_equal(p.outcome.state, ParseState::kComplete);
  assert_int_equal(p.req.minor_version, 0);
  assert_true(p.req.host.empty());
}

void test_keep_alive_and_expect(void**) {
  assert_false(Parse("GET / HTTP/1.0\r\n\r\n").req.keep_alive);
  assert_true(Parse("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n").req.keep_alive);
  assert_false(Parse("GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n").req.keep_alive);
  assert_true(Parse(Req("")).req.keep_alive);
  assert_false(Parse(Req("Connection: close\r\n")).req.keep_alive);
  assert_false(Parse(Req("Connection: Upgrade,  CLOSE \r\n")).req.keep_alive);
  assert_true(Parse(Req("Connection: closed\r\n")).req.keep_alive);
  assert_true(Parse(Req("Expect: 100-Continue\r\n")).req.expect_continue);
  assert_false(Parse(Req("Expect: 200-ok\r\n")).req.expect_continue);
  assert_false(Parse("PUT / HTTP/1.0\r\nExpect: 100-continue\r\n\r\n").req.expect_continue);
}

void test_limit_request_line(void**) {
  Limits limits;
  limits.max_request_line = 64;
  std::string ok_line = "GET /" + std::string(64 - 14, 'a') + " HTTP/1.1";  // exactly 64
  assert_int_equal(ok_line.size(), 64);
  assert_int_equal(Status(ok_line + "\r\nHost: h\r\n\r\n", limits), 200);
  std::string long_line = "GET /" + std::string(64 - 13, 'a') + " HTTP/1.1";
  assert_int_equal(Status(long_line + "\r\nHost: h\r\n\r\n", limits), 414);
  // Reported before the line ends.
  assert_int_equal(Status("GET /" + std::string(100, 'a'), limits), 414);
  assert_int_equal(Status("GET /" + std::string(50, 'a'), limits), 0);
}

void test_limit_head_bytes(void**) {
  Limits limits;
  limits.max_head_bytes = 128;
  std::string head = Req("");
  std::string fill = "X-Fill: " + std::string(128 - head.size() - 10, 'f') + "\r\n";
  std::string exact = Req(fill);
  assert_int_equal(exact.size(), 128);
  assert_int_equal(Status(exact, limits), 200);
  assert_int_equal(
      Status(Req("X-Fill: " + std::string(128 - head.size() - 9, 'f') + "\r\n"), limits), 431);
  // Reported as soon as the buffer exceeds the limit without CRLFCRLF.
  std::string partial = "GET / HTTP/1.1\r\nHost: h\r\nX: " + std::string(200, 'x');
  assert_int_equal(Status(partial.substr(0, 128), limits), 0);
  assert_int_equal(Status(partial.substr(0, 129), limits), 431);
  // Incrementally too.
  RequestParser parser(limits);
  Arena arena;
  Request r;
  ParseOutcome o;
  for (size_t n = 1; n <= partial.size(); ++n) {
    o = parser.parse(std::string_view(partial).substr(0, n), arena, &r);
    if (o.state != ParseState::kIncomplete) {
      assert_int_equal(n, 129);
      break;
    }
  }
  assert_int_equal(o.http_status, 431);
  // Endless empty lines are bounded too.
  std::string crlfs;
  for (int i = 0; i < 100; ++i) crlfs += "\r\n";
  assert_int_equal(Status(crlfs, limits), 431);
}

void test_limit_header_count(void**) {
  Limits limits;
  limits.max_headers = 4;
  std::string four = Req("A: 1\r\nB: 2\r\nC: 3\r\n");  // Host + 3
  Parsed p = Parse(four, limits);
  assert_int_equal(p.outcome.state, ParseState::kComplete);
  assert_int_equal(p.req.headers.size(), 4);
  assert_int_equal(Status(Req("A: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n"), limits), 431);
  // Reported before the head is complete.
  assert_int_equal(Status("GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n", limits),
                   431);
}

void test_headers_in_arena(void**) {
  Arena arena;
  Limits limits;
  RequestParser parser(limits);
  Request r;
  std::string buf = Req("A: 1\r\n");
  assert_int_equal(parser.parse(buf, arena, &r).state, ParseState::kComplete);
  assert_int_equal(arena.bytes_used(), 2 * sizeof(Header));
  assert_int_equal(arena.outstanding(), 0);  // scoped: nothing for the owner to release
}

void test_error_leaves_request_untouched(void**) {
  Arena arena;
  Limits limits;
  RequestParser parser(limits);
  Request r;
  r.path = "sentinel";
  ParseOutcome o = parser.parse(Req("Content-Length: x\r\n"), arena, &r);
  assert_int_equal(o.state, ParseState::kError);
  assert_int_equal(o.http_status, 400);
  assert_false(o.reason.empty());
  assert_true(r.path == "sentinel");
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_simple_get),
      cmocka_unit_test(test_methods),
      cmocka_unit_test(test_byte_by_byte),
      cmocka_unit_test(test_pipelined),
      cmocka_unit_test(test_leading_crlf_split),
      cmocka_unit_test(test_request_line_errors),
      cmocka_unit_test(test_absolute_form),
      cmocka_unit_test(test_header_errors),
      cmocka_unit_test(test_bare_lf_rejected),
      cmocka_unit_test(test_content_length),
      cmocka_unit_test(test_transfer_encoding),
      cmocka_unit_test(test_host),
      cmocka_unit_test(test_keep_alive_and_expect),
      cmocka_unit_test(test_limit_request_line),
      cmocka_unit_test(test_limit_head_bytes),
      cmocka_unit_test(test_limit_header_count),
      cmocka_unit_test(test_headers_in_arena),
      cmocka_unit_test(test_error_leaves_request_untouched),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
