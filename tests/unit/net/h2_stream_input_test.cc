// Tests for StreamInput, the per-stream buffer of HTTP/2 request body bytes: a ring bounded by
// the stream's window (the peer can never make it grow), segments taken lazily, wrap-around.
#include <string>

#include "flashstor/mem/arena.h"
#include "h2_stream_input.h"

#include "cmocka_cpp.h"

using namespace flashstor;
using net::StreamInput;

// A small body touches one segment; a window's worth fills it exactly and no byte more fits.
static void test_bounded_by_window(void**) {
  mem::Arena arena;
  StreamInput in(arena, 100 * 1024);  // rounded up to two 64 KiB segments
  assert_int_equal(in.capacity(), 2 * StreamInput::kSegment);
  assert_true(in.push(std::string(10, 'a')));
  assert_int_equal(arena.blocks(), 1);
  std::string big(in.capacity() - 10, 'b');
  assert_true(in.push(big));
  assert_int_equal(in.size(), in.capacity());
  assert_false(in.push(std::string(1, 'c')));  // past the window: refused, nothing taken
  assert_int_equal(in.size(), in.capacity());
}

// Bytes come out in order across segment and ring boundaries, in reads of any size.
static void test_order_across_wrap(void**) {
  mem::Arena arena;
  StreamInput in(arena, StreamInput::kSegment);
  std::string sent, got;
  unsigned seed = 7;
  char buf[40000];
  for (int round = 0; round < 200; ++round) {
    std::string chunk(1 + (seed = seed * 1103515245 + 12345) % 30000, '\0');
    for (char& ch : chunk) ch = static_cast<char>('a' + (seed = seed * 1103515245 + 12345) % 26);
    if (chunk.size() > in.capacity() - in.size()) {
      const size_t n = in.pop(std::span<char>(buf, 1 + seed % sizeof(buf)));
      got.append(buf, n);
      continue;
    }
    assert_true(in.push(chunk));
    sent += chunk;
  }
  while (!in.empty()) got.append(buf, in.pop(buf));
  assert_true(got == sent);
  assert_true(sent.size() > 4 * in.capacity());  // the ring wrapped several times
}

// clear() drops what is buffered (a reset stream) and reports how much, for the window.
static void test_clear_reports_dropped(void**) {
  mem::Arena arena;
  StreamInput in(arena, 1);
  assert_true(in.push(std::string("hello")));
  assert_int_equal(in.clear(), 5);
  assert_true(in.empty());
  char out[8];
  assert_int_equal(in.pop(out), 0);
  assert_true(in.push(std::string("again")));
  assert_int_equal(in.pop(out), 5);
  assert_memory_equal(out, "again", 5);
}

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_bounded_by_window),
      cmocka_unit_test(test_order_across_wrap),
      cmocka_unit_test(test_clear_reports_dropped),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
