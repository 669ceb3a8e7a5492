// Unit tests of ParseResponseHead / ParseChunkSize: framing, keep-alive and malformed heads.
#include "response_head.h"

#include "bench_test.h"

using namespace flashstor;
using namespace flashstor::bench;

namespace {

void test_content_length(void**) {
  auto h = ParseResponseHead("HTTP/1.1 200 OK\r\nContent-Length: 42\r\nX-A: b\r\n\r\n");
  assert_true(h.has_value());
  assert_int_equal(h->status, 200);
  assert_true(h->content_length.has_value());
  assert_int_equal(*h->content_length, 42);
  assert_false(h->chunked);
  assert_true(h->keep_alive);
  // Same value twice is tolerated; case of names does not matter.
  h = ParseResponseHead("HTTP/1.1 204 No Content\r\ncontent-length:0\r\nCONTENT-LENGTH: 0\r\n\r\n");
  assert_true(h.has_value());
  assert_int_equal(h->status, 204);
}

void test_chunked_and_close(void**) {
  auto h = ParseResponseHead(
      "HTTP/1.1 503 Slow Down\r\nTransfer-Encoding: gzip, chunked\r\nConnection: Close\r\n\r\n");
  assert_true(h.has_value());
  assert_int_equal(h->status, 503);
  assert_true(h->chunked);
  assert_false(h->content_length.has_value());
  assert_false(h->keep_alive);
  h = ParseResponseHead("HTTP/1.1 200\r\nConnection: upgrade, close\r\n\r\n");  // no reason
  assert_true(h.has_value());
  assert_false(h->keep_alive);
}

void test_http10(void**) {
  auto h = ParseResponseHead("HTTP/1.0 200 OK\r\n\r\n");
  assert_true(h.has_value());
  assert_false(h->keep_alive);
  h = ParseResponseHead("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\n\r\n");
  assert_true(h.has_value());
  assert_true(h->keep_alive);
}

void test_malformed(void**) {
  const char* bad[] = {
      "",
      "HTTP/1.1 200 OK\r\n",                                                // no empty line
      "HTTP/2 200 OK\r\n\r\n",                                              // not HTTP/1.x
      "HTTP/1.1 20 OK\r\n\r\n",                                             // short code
      "HTTP/1.1 2x0 OK\r\n\r\n",                                            // non-digit
      "HTTP/1.1 099 OK\r\n\r\n",                                            // below 100
      "HTTP/1.1 2000 OK\r\n\r\n",                                           // four digits
      "HTTP/1.1 200 OK\r\nNoColon\r\n\r\n",                                 // header without ':'
      "HTTP/1.1 200 OK\r\n: v\r\n\r\n",                                     // empty name
      "HTTP/1.1 200 OK\r\nBad Name: v\r\n\r\n",                             // space in name
      "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",                      // negative
      "HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n",                      // junk
      "HTTP/1.1 200 OK\r\nContent-Length: \r\n\r\n",                        // empty
      "HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n",    // overflow
      "HTTP/1.1 200 OK\r\nContent-Length: 1099511627777\r\n\r\n",           // above the bound
      "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",  // conflicting
      "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n",  // unknown framing
  };
  for (const char* h : bad) {
    auto r = ParseResponseHead(h);
    if (r.has_value()) print_error("accepted: %s\n", h);
    assert_false(r.has_value());
    assert_int_equal(static_cast<int>(r.error().code()), static_cast<int>(Code::kInvalidArgument));
  }
}

void test_chunk_size(void**) {
  assert_int_equal(*ParseChunkSize("0"), 0);
  assert_int_equal(*ParseChunkSize("1a"), 26);
  assert_int_equal(*ParseChunkSize("FF"), 255);
  assert_int_equal(*ParseChunkSize("10;name=value"), 16);
  assert_int_equal(*ParseChunkSize("10 "), 16);
  assert_int_equal(*ParseChunkSize("10000000000"), uint64_t{1} << 40);
  assert_false(ParseChunkSize("").has_value());
  assert_false(ParseChunkSize(";x").has_value());
  assert_false(ParseChunkSize("g").has_value());
  assert_false(ParseChunkSize("-1").has_value());
  assert_false(ParseChunkSize("10000000001").has_value());   // above 2^40
  assert_false(ParseChunkSize("100000000000").has_value());  // too many digits
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_content_length), cmocka_unit_test(test_chunked_and_close),
      cmocka_unit_test(test_http10),         cmocka_unit_test(test_malformed),
      cmocka_unit_test(test_chunk_size),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
