// Unit tests of mem::IdleTrim: it trims once per quiet spell, only after requests ran and
// stopped for the quiet time, never while one is in flight, empties the caches registered with
// on_trim, and frees the heap's free pages.
#include "cmocka_cpp.h"

#include <fstream>
#include <string>
#include <vector>

#include "flashstor/mem/idle_trim.h"

using flashstor::mem::IdleTrim;

namespace {

void test_no_trim_before_any_request(void**) {
  IdleTrim t(2000);
  assert_false(t.tick(0, false, 0));
  assert_false(t.tick(0, false, 10'000));
  assert_int_equal(t.trims(), 0);
}

void test_trims_once_after_quiet(void**) {
  IdleTrim t(2000);
  assert_false(t.tick(5, false, 1000));  // requests ran since the last tick
  assert_false(t.tick(5, false, 2000));  // quiet for 1 s
  assert_true(t.tick(5, false, 3000));   // quiet for 2 s: trims
  assert_false(t.tick(5, false, 4000));  // once per quiet spell
  assert_false(t.tick(5, false, 60'000));
  assert_int_equal(t.trims(), 1);
  assert_false(t.tick(6, false, 61'000));  // a new request starts a new spell
  assert_true(t.tick(6, false, 63'000));
  assert_int_equal(t.trims(), 2);
}

// The caches registered with on_trim are emptied at each trim, and only then.
void test_trim_empties_the_registered_caches(void**) {
  IdleTrim t(2000);
  int released = 0;
  t.on_trim([&released] { ++released; });
  t.on_trim([&released] { released += 10; });
  assert_false(t.tick(5, false, 1000));
  assert_int_equal(released, 0);
  assert_true(t.tick(5, false, 3000));
  assert_int_equal(released, 11);
  assert_false(t.tick(5, false, 9000));  // no second trim in the same quiet spell
  assert_int_equal(released, 11);
}

void test_never_while_busy(void**) {
  IdleTrim t(2000);
  assert_false(t.tick(1, true, 0));
  // One long request in flight: the count does not move, but it is not idle.
  for (int64_t ms = 1000; ms < 20'000; ms += 1000) assert_false(t.tick(1, true, ms));
  assert_false(t.tick(1, false, 20'000));
  assert_true(t.tick(1, false, 22'000));
}

#if defined(__GLIBC__) && !defined(__SANITIZE_ADDRESS__)
long RssKib() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

// 64 freed 256 KiB blocks pinned by small live allocations between them stay resident as
// free heap chunks: only a trim gives their pages back. (Freeing one 512 KiB mmapped block
// first raises glibc's mmap threshold above 256 KiB, as a server's first requests do.)
void test_trim_gives_pages_back(void**) {
  char* warm = new char[512 * 1024];
  warm[0] = 1;
  delete[] warm;
  std::vector<char*> big, small;
  for (int i = 0; i < 64; ++i) {
    char* b = new char[256 * 1024];
    for (size_t j = 0; j < 256 * 1024; j += 4096) b[j] = 1;
    big.push_back(b);
    small.push_back(new char[64]);
  }
  for (char* b : big) delete[] b;
  const long before = RssKib();
  IdleTrim t(0);
  assert_false(t.tick(1, false, 0));
  assert_true(t.tick(1, false, 1));
  const long after = RssKib();
  for (char* s : small) delete[] s;
  assert_true(before - after >= 8 * 1024);  // of the 16 MiB freed
}
#endif

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_no_trim_before_any_request),
    cmocka_unit_test(test_trims_once_after_quiet),
    cmocka_unit_test(test_trim_empties_the_registered_caches),
    cmocka_unit_test(test_never_while_busy),
#if defined(__GLIBC__) && !defined(__SANITIZE_ADDRESS__)
    cmocka_unit_test(test_trim_gives_pages_back),
#endif
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
