// Unit tests of ConfigureServerHeap: a large buffer stays mapped on its own after one was
// freed (glibc's default threshold would have grown and put it in an arena), and threads get
// arenas of their own up to the number asked for, not one for all nor one each.
#include <malloc.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "flashstor/mem/heap_policy.h"

#include "cmocka_cpp.h"

namespace {

// The number of arenas glibc reports (malloc_info's <heap nr=...> elements).
int ArenaCount() {
  char* text = nullptr;
  size_t len = 0;
  FILE* f = open_memstream(&text, &len);
  if (f == nullptr) return -1;
  malloc_info(0, f);
  std::fclose(f);
  int n = 0;
  for (const char* p = text; (p = std::strstr(p, "<heap nr=")) != nullptr; ++p) ++n;
  std::free(text);
  return n;
}

void test_heap_policy(void**) {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__) || !defined(__GLIBC__)
  print_message("SKIP: the sanitizer's allocator (or a libc other than glibc) has no arenas\n");
  skip();
#endif
  // Both checks in one process: the settings are process-wide and set before any thread.
  flashstor::mem::ConfigureServerHeap(4);
  const size_t shard = 512u << 10;
  void* first = std::malloc(shard);
  assert_non_null(first);
  std::memset(first, 1, shard);
  std::free(first);  // glibc's dynamic threshold would now rise above 512 KiB
  const size_t mapped_before = mallinfo2().hblkhd;
  void* second = std::malloc(shard);
  assert_non_null(second);
  assert_true(mallinfo2().hblkhd >= mapped_before + shard);  // mapped on its own, not an arena's
  std::free(second);

  // Eight threads allocating at once: more than one arena (one for all made the event loops
  // queue on its lock), at most the four asked for.
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([] {
      std::vector<std::string> keep;
      for (int j = 0; j < 1000; ++j) keep.emplace_back(200, 'x');
    });
  }
  for (auto& t : threads) t.join();
  const int arenas = ArenaCount();
  print_message("arenas: %d\n", arenas);
  assert_true(arenas >= 2);
  assert_true(arenas <= 4);
}

}  // namespace

int main() {
  const CMUnitTest tests[] = {
      cmocka_unit_test(test_heap_policy),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
