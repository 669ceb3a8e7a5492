// Unit tests of ResponseWriter: exact bytes of send(), streaming and HEAD responses, one
// writev per send(), header hygiene, 100-continue, errors; plus ReasonPhrase and dates.
#include "cmocka_cpp.h"

#include <ctime>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "fake_transport.h"
#include "flashstor/http/response.h"

using namespace flashstor;
using namespace flashstor::http;
using flashstor::http::testing::FakeTransport;

namespace {

// Checks the Date line's shape and replaces its value with a fixed one for exact comparison.
std::string NormalizeDate(std::string s) {
  size_t at = s.find("\r\nDate: ");
  assert_true(at != std::string::npos);
  at += 8;
  size_t eol = s.find("\r\n", at);
  assert_int_equal(eol - at, kHttpDateLength);
  assert_true(s.compare(eol - 4, 4, " GMT") == 0);
  assert_int_equal(s[at + 3], ',');
  return s.replace(at, eol - at, "DATE");
}

struct Fixture {
  FakeTransport transport;
  mem::Arena arena;
  ResponseWriter writer{transport, arena};
};

void test_send_exact(void**) {
  Fixture f;
  f.writer.add_header("x-amz-request-id", "17A2B");
  f.writer.add_header("Content-Type", "application/xml");
  assert_true(f.writer.send("hello").ok());
  assert_string_equal(NormalizeDate(f.transport.sent).c_str(),
                      "HTTP/1.1 200 OK\r\n"
                      "Date: DATE\r\n"
                      "Server: Flashstor\r\n"
                      "x-amz-request-id: 17A2B\r\n"
                      "Content-Type: application/xml\r\n"
                      "Content-Length: 5\r\n"
                      "\r\n"
                      "hello");
  // One writev carrying head and body.
  assert_int_equal(f.transport.iov_counts.size(), 1);
  assert_int_equal(f.transport.iov_counts[0], 2);
  assert_true(f.writer.head_sent());
  assert_true(f.writer.complete());
  assert_int_equal(f.writer.body_bytes_sent(), 5);
  // Once only.
  Status again = f.writer.send("x");
  assert_int_equal(again.code(), Code::kInternal);
  assert_int_equal(f.transport.iov_counts.size(), 1);
}

void test_send_close_and_empty(void**) {
  Fixture f;
  f.writer.set_status(404);
  f.writer.set_keep_alive(false);
  assert_true(f.writer.send("").ok());
  assert_string_equal(NormalizeDate(f.transport.sent).c_str(),
                      "HTTP/1.1 404 Not Found\r\nDate: DATE\r\nServer: Flashstor\r\n"
                      "Content-Length: 0\r\nConnection: close\r\n\r\n");
  assert_int_equal(f.transport.iov_counts[0], 1);  // no empty body iovec
}

void test_head_only(void**) {
  Fixture f;
  f.writer.set_head_only(true);
  f.writer.add_header("ETag", "\"abc\"");
  assert_true(f.writer.send("hello").ok());
  assert_string_equal(NormalizeDate(f.transport.sent).c_str(),
                      "HTTP/1.1 200 OK\r\nDate: DATE\r\nServer: Flashstor\r\nETag: \"abc\"\r\n"
                      "Content-Length: 5\r\n\r\n");
  assert_true(f.writer.complete());
  // Streaming HEAD: real length announced, write() sends nothing.
  Fixture g;
  g.writer.set_head_only(true);
  assert_true(g.writer.begin(1000).ok());
  assert_true(g.writer.write(std::string_view("abc")).ok());
  assert_string_equal(NormalizeDate(g.transport.sent).c_str(),
                      "HTTP/1.1 200 OK\r\nDate: DATE\r\nServer: Flashstor\r\n"
                      "Content-Length: 1000\r\n\r\n");
  assert_int_equal(g.transport.iov_counts.size(), 1);
  assert_true(g.writer.complete());
}

void test_streaming(void**) {
  Fixture f;
  f.writer.set_status(206);
  f.writer.add_header("Content-Range", "bytes 0-9/100");
  assert_true(f.writer.write(std::string_view("x")).code() == Code::kInternal);  // no begin
  assert_true(f.writer.begin(10).ok());
  assert_false(f.writer.complete());
  assert_true(f.writer.head_sent());
  assert_true(f.transport.sent.empty());  // the head waits for the first body bytes
  std::string part1 = "hello";
  assert_true(f.writer.write(part1).ok());
  assert_true(f.writer.write(std::span<const char>()).ok());
  // Writing past the announced length fails and sends nothing.
  Status over = f.writer.write(std::string_view("world!"));
  assert_int_equal(over.code(), Code::kInternal);
  assert_false(f.writer.keep_alive());
  assert_true(f.writer.write(std::string_view("world")).ok());
  assert_true(f.writer.complete());
  assert_int_equal(f.writer.body_bytes_sent(), 10);
  assert_string_equal(NormalizeDate(f.transport.sent).c_str(),
                      "HTTP/1.1 206 Partial Content\r\nDate: DATE\r\nServer: Flashstor\r\n"
                      "Content-Range: bytes 0-9/100\r\nContent-Length: 10\r\n\r\nhelloworld");
  // Head and first bytes in one sendv (two iovecs), then one sendv per write.
  assert_int_equal(f.transport.iov_counts.size(), 2);
  assert_int_equal(f.transport.iov_counts[0], 2);
  assert_int_equal(f.writer.begin(3).code(), Code::kInternal);
  // A streamed response cut before its first byte sends nothing: the connection closes
  // (complete() is false) and the client never sees a 200 with a short body.
  Fixture g;
  assert_true(g.writer.begin(100).ok());
  assert_true(g.writer.head_sent());
  assert_false(g.writer.complete());
  assert_true(g.transport.sent.empty());
}

void test_no_content_statuses(void**) {
  Fixture f;
  f.writer.set_status(204);
  assert_int_equal(f.writer.send("x").code(), Code::kInvalidArgument);
  assert_false(f.writer.head_sent());
  assert_true(f.writer.send("").ok());
  assert_string_equal(NormalizeDate(f.transport.sent).c_str(),
                      "HTTP/1.1 204 No Content\r\nDate: DATE\r\nServer: Flashstor\r\n\r\n");
  Fixture g;
  g.writer.set_status(304);
  assert_int_equal(g.writer.begin(5).code(), Code::kInvalidArgument);
  assert_true(g.writer.begin(0).ok());
  assert_true(g.transport.sent.find("Content-Length") == std::string::npos);
  assert_true(g.transport.sent.starts_with("HTTP/1.1 304 Not Modified\r\n"));
}

void test_header_hygiene(void**) {
  Fixture f;
  f.writer.add_header("Content-Length", "99");
  f.writer.add_header("connection", "keep-alive");
  f.writer.add_header("Date", "x");
  f.writer.add_header("Server", "evil");
  f.writer.add_header("Transfer-Encoding", "chunked");
  f.writer.add_header("X-Split", "a\r\nSet-Cookie: x");
  f.writer.add_header("X-Nul", std::string_view("a\0b", 3));
  f.writer.add_header("Bad Name", "v");
  f.writer.add_header("", "v");
  f.writer.add_header("X-Big", std::string(9000, 'b'));
  assert_int_equal(f.writer.dropped_headers(), 10);
  for (int i = 0; i < 70; ++i) f.writer.add_header("X-H" + std::to_string(i), "v");
  assert_int_equal(f.writer.dropped_headers(), 16);
  f.writer.add_header("X-Empty", "");  // full already
  assert_int_equal(f.writer.dropped_headers(), 17);
  assert_true(f.writer.send("ok").ok());
  const std::string& out = f.transport.sent;
  assert_true(out.find("X-H63: v\r\n") != std::string::npos);
  assert_true(out.find("X-H64") == std::string::npos);
  assert_true(out.find("Set-Cookie") == std::string::npos);
  assert_true(out.find("evil") == std::string::npos);
  assert_true(out.find("Content-Length: 2\r\n") != std::string::npos);
  assert_int_equal(out.find("Content-Length"), out.rfind("Content-Length"));
  Fixture g;
  g.writer.add_header("X-Empty", "");
  assert_true(g.writer.send("").ok());
  assert_true(g.transport.sent.find("\r\nX-Empty: \r\n") != std::string::npos);
}

void test_continue(void**) {
  Fixture f;
  assert_true(f.writer.send_continue().ok());
  assert_true(f.writer.send_continue().ok());  // at most once on the wire
  assert_string_equal(f.transport.sent.c_str(), "HTTP/1.1 100 Continue\r\n\r\n");
  assert_false(f.writer.head_sent());
  assert_true(f.writer.send("").ok());
  assert_int_equal(f.writer.send_continue().code(), Code::kInternal);
}

void test_expected_continue(void**) {
  // No content follows: the 100 goes out first, in the same writev, and the connection stays.
  Fixture f;
  f.writer.expect_continue(false);
  assert_true(f.writer.send("").ok());
  assert_true(f.transport.sent.starts_with("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n"));
  assert_int_equal(f.transport.iov_counts.size(), 1);
  assert_true(f.writer.keep_alive());
  // Content follows but was never asked for: no 100, the connection closes.
  Fixture g;
  g.writer.expect_continue(true);
  g.writer.set_status(403);
  assert_true(g.writer.send("denied").ok());
  assert_true(g.transport.sent.starts_with("HTTP/1.1 403 Forbidden\r\n"));
  assert_true(g.transport.sent.find("\r\nConnection: close\r\n") != std::string::npos);
  assert_false(g.writer.keep_alive());
  // Content asked for (100 already sent): a normal response that keeps the connection.
  Fixture h;
  h.writer.expect_continue(true);
  assert_true(h.writer.send_continue().ok());
  assert_true(h.writer.send("ok").ok());
  assert_true(h.writer.keep_alive());
  assert_int_equal(h.transport.sent.find("HTTP/1.1 100 Continue"), 0);
  assert_true(h.transport.sent.find("HTTP/1.1 100", 5) == std::string::npos);
}

void test_transport_failure(void**) {
  Fixture f;
  f.transport.fail_send = true;
  Status s = f.writer.send("body");
  assert_int_equal(s.code(), Code::kCancelled);
  assert_true(f.writer.head_sent());
  assert_false(f.writer.keep_alive());
  assert_false(f.writer.complete());
}

void test_status_and_reasons(void**) {
  Fixture f;
  f.writer.set_status(42);
  assert_int_equal(f.writer.status(), 500);
  f.writer.set_status(600);
  assert_int_equal(f.writer.status(), 500);
  struct {
    int code;
    const char* text;
  } cases[] = {{200, "OK"},
               {204, "No Content"},
               {206, "Partial Content"},
               {301, "Moved Permanently"},
               {304, "Not Modified"},
               {307, "Temporary Redirect"},
               {400, "Bad Request"},
               {403, "Forbidden"},
               {404, "Not Found"},
               {405, "Method Not Allowed"},
               {408, "Request Timeout"},
               {409, "Conflict"},
               {411, "Length Required"},
               {412, "Precondition Failed"},
               {413, "Content Too Large"},
               {414, "URI Too Long"},
               {416, "Range Not Satisfiable"},
               {431, "Request Header Fields Too Large"},
               {500, "Internal Server Error"},
               {501, "Not Implemented"},
               {503, "Service Unavailable"},
               {505, "HTTP Version Not Supported"},
               {299, "Unknown"}};
  for (auto& c : cases) assert_true(ReasonPhrase(c.code) == c.text);
}

void test_http_date(void**) {
  char out[kHttpDateLength];
  FormatHttpDate(784111777, out);
  assert_memory_equal(out, "Sun, 06 Nov 1994 08:49:37 GMT", kHttpDateLength);
  FormatHttpDate(0, out);
  assert_memory_equal(out, "Thu, 01 Jan 1970 00:00:00 GMT", kHttpDateLength);
  FormatHttpDate(951782400, out);  // leap day 2000
  assert_memory_equal(out, "Tue, 29 Feb 2000 00:00:00 GMT", kHttpDateLength);
  // The calendar arithmetic agrees with the C library's gmtime_r and strftime from 1000 to
  // 9999 (the four-digit years an IMF-fixdate has), before 1970 included, at day boundaries and
  // anywhere in between.
  std::mt19937_64 rng(20261205);
  std::uniform_int_distribution<int64_t> any(-30610224000, 253402300799);
  for (int i = 0; i < 20000; ++i) {
    const int64_t t = i < 2000 ? (i - 1000) * 86400 + (i % 3) - 1 : any(rng);
    const time_t tt = static_cast<time_t>(t);
    tm g{};
    assert_non_null(gmtime_r(&tt, &g));
    char want[64];
    assert_int_equal(strftime(want, sizeof want, "%a, %d %b %Y %H:%M:%S GMT", &g), kHttpDateLength);
    FormatHttpDate(t, out);
    if (memcmp(out, want, kHttpDateLength) != 0) {
      fail_msg("%lld: %.29s, the C library %s", static_cast<long long>(t), out, want);
    }
  }
}

// A sink (HTTP/2) records what the writer hands it: the head with its fields and length,
// whether more body follows, and each body piece with the "last" mark at the announced end.
struct RecordingSink final : ResponseSink {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> fields;
  bool has_length = false, end = false;
  uint64_t length = 0;
  std::string body;
  int continues = 0;
  bool last = false;
  Status send_head(int st, std::span<const ResponseField> f, bool hl, uint64_t len,
                   std::span<const char> first, bool e) override {
    status = st;
    for (const ResponseField& x : f) fields.emplace_back(x.name, x.value);
    has_length = hl;
    length = len;
    body.assign(first.data(), first.size());
    end = e;
    return Status::Ok();
  }
  Status write_body(std::span<const char> data, bool l) override {
    body.append(data.data(), data.size());
    last = l;
    return Status::Ok();
  }
  Status send_continue() override {
    ++continues;
    return Status::Ok();
  }
};

void test_sink(void**) {
  mem::Arena arena;
  {
    RecordingSink sink;
    ResponseWriter w(sink, arena);
    w.add_header("Content-Type", "application/xml");
    w.add_header("Connection", "close");  // reserved: dropped as for HTTP/1.1
    assert_true(w.send("<x/>").ok());
    assert_int_equal(sink.status, 200);
    assert_int_equal(sink.fields.size(), 1);
    assert_true(sink.has_length && sink.end && sink.length == 4 && sink.body == "<x/>");
    assert_true(w.complete());
  }
  {
    RecordingSink sink;
    ResponseWriter w(sink, arena);
    assert_true(w.send_continue().ok());
    assert_true(w.begin(6).ok());
    assert_false(sink.end);
    assert_true(w.write(std::string_view("abc")).ok());
    assert_false(sink.last);
    assert_true(w.write(std::string_view("def")).ok());
    assert_true(sink.last && sink.body == "abcdef" && sink.continues == 1 && w.complete());
    assert_false(w.write(std::string_view("g")).ok());  // past the length: refused
  }
  {
    RecordingSink sink;
    ResponseWriter w(sink, arena);
    w.set_head_only(true);
    assert_true(w.begin(1000).ok());
    assert_true(sink.end && sink.has_length && sink.length == 1000 && w.complete());
  }
  {
    RecordingSink sink;
    ResponseWriter w(sink, arena);
    w.set_status(304);
    assert_true(w.send("").ok());
    assert_true(sink.end && !sink.has_length);
  }
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_send_exact),
      cmocka_unit_test(test_send_close_and_empty),
      cmocka_unit_test(test_head_only),
      cmocka_unit_test(test_streaming),
      cmocka_unit_test(test_no_content_statuses),
      cmocka_unit_test(test_header_hygiene),
      cmocka_unit_test(test_continue),
      cmocka_unit_test(test_expected_continue),
      cmocka_unit_test(test_transport_failure),
      cmocka_unit_test(test_status_and_reasons),
      cmocka_unit_test(test_http_date),
      cmocka_unit_test(test_sink),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
