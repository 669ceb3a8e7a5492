// Unit tests of mem::Arena: alignment, block chaining, O(1) reset that keeps its blocks,
// oversized requests, copy() and (when built with FLASHSTOR_ARENA_DEBUG) leak tracking.
#include "cmocka_cpp.h"

#include <cstring>
#include <string>
#include <vector>

#include "flashstor/mem/arena.h"

using flashstor::mem::Arena;
namespace mem = flashstor::mem;

namespace {

uintptr_t Addr(const void* p) {
  return reinterpret_cast<uintptr_t>(p);
}

void test_alignment(void**) {
  Arena a;
  assert_non_null(a.allocate(1, 1));
  for (size_t align : {1, 2, 4, 8, 16}) {
    void* p = a.allocate(3, align);
    assert_non_null(p);
    assert_int_equal(Addr(p) % align, 0);
  }
  void* d = a.allocate(1);
  assert_int_equal(Addr(d) % alignof(std::max_align_t), 0);
  // Larger alignments work inside a block that has room.
  void* p64 = a.allocate(10, 64);
  assert_non_null(p64);
  assert_int_equal(Addr(p64) % 64, 0);
  auto* arr = a.allocate_array<uint64_t>(5);
  assert_non_null(arr);
  assert_int_equal(Addr(arr) % alignof(uint64_t), 0);
  // Not a power of two, or zero.
  assert_null(a.allocate(8, 3));
  assert_null(a.allocate(8, 0));
}

void test_sequential_bump(void**) {
  Arena a;
  char* p = static_cast<char*>(a.allocate_scoped(10, 1));
  char* q = static_cast<char*>(a.allocate_scoped(10, 1));
  assert_ptr_equal(q, p + 10);
  assert_int_equal(a.bytes_used(), 20);
  assert_int_equal(a.blocks(), 1);
  std::memset(p, 'x', 20);  // both ranges are writable (ASan checks in sanitized builds)
}

void test_block_chaining(void**) {
  Arena a;
  assert_int_equal(a.blocks(), 0);
  char* first = static_cast<char*>(a.allocate_scoped(Arena::kBlockSize - 8, 1));
  assert_non_null(first);
  assert_int_equal(a.blocks(), 1);
  char* tail = static_cast<char*>(a.allocate_scoped(8, 1));  // exactly fills block 1
  assert_ptr_equal(tail, first + Arena::kBlockSize - 8);
  assert_int_equal(a.blocks(), 1);
  char* second = static_cast<char*>(a.allocate_scoped(1, 1));
  assert_int_equal(a.blocks(), 2);
  assert_true(second < first || second >= first + Arena::kBlockSize);
  // A whole block on top of a partly used block goes to a third block.
  char* whole = static_cast<char*>(a.allocate_scoped(Arena::kBlockSize, 1));
  assert_non_null(whole);
  assert_int_equal(a.blocks(), 3);
  std::memset(whole, 0, Arena::kBlockSize);
  assert_true(a.bytes_reserved() >= 3 * Arena::kBlockSize);
}

void test_reset_reuses_blocks(void**) {
  Arena a;
  std::vector<void*> before;
  for (int i = 0; i < 5; ++i) before.push_back(a.allocate_scoped(40000, 16));
  size_t blocks = a.blocks();
  assert_int_equal(blocks, 5);
  size_t reserved = a.bytes_reserved();
  a.reset();
  assert_int_equal(a.bytes_used(), 0);
  assert_int_equal(a.blocks(), blocks);
  assert_int_equal(a.bytes_reserved(), reserved);
  for (int i = 0; i < 5; ++i) assert_ptr_equal(a.allocate_scoped(40000, 16), before[i]);
  assert_int_equal(a.blocks(), blocks);
  a.reset();
  assert_ptr_equal(a.allocate_scoped(1, 1), before[0]);
}

void test_oversized(void**) {
  Arena a;
  assert_null(a.allocate(Arena::kBlockSize + 1));
  assert_null(a.allocate(SIZE_MAX));
  assert_null(a.allocate_scoped(SIZE_MAX, 1));
  assert_null(a.allocate_array<uint64_t>(SIZE_MAX / 4));  // would overflow n * sizeof(T)
  assert_null(a.allocate_array<uint32_t>(Arena::kBlockSize / 4 + 1));
  assert_int_equal(a.blocks(), 0);
  assert_int_equal(a.outstanding(), 0);
  void* full = a.allocate(Arena::kBlockSize);
  assert_non_null(full);
  a.release(full);
  // A block-sized request with a larger alignment than a block start guarantees fails cleanly.
  assert_null(a.allocate_scoped(Arena::kBlockSize, 4096));
}

void test_copy(void**) {
  Arena a;
  std::string_view s = a.copy("hello arena");
  assert_int_equal(s.size(), 11);
  assert_memory_equal(s.data(), "hello arena", 11);
  std::string_view t = a.copy("x");
  assert_ptr_equal(t.data(), s.data() + 11);  // byte-aligned, packed
  assert_true(a.copy("").empty());
  std::string big(Arena::kBlockSize + 1, 'b');
  assert_true(a.copy(big).empty());
  std::string exact(Arena::kBlockSize, 'e');
  std::string_view e = a.copy(exact);
  assert_int_equal(e.size(), Arena::kBlockSize);
  assert_true(e == exact);
  assert_int_equal(a.outstanding(), 0);  // copies are scoped, never tracked
}

void test_leak_tracking(void**) {
  Arena a;
  void* p = a.allocate(16);
  void* q = a.allocate(16);
  (void)a.allocate_scoped(16);
  if (!Arena::debug_enabled()) {
    assert_int_equal(a.outstanding(), 0);
    a.reset();
    assert_int_equal(a.leaks(), 0);
    return;
  }
  assert_int_equal(a.outstanding(), 2);
  a.release(p);
  assert_int_equal(a.outstanding(), 1);
  a.reset();  // q leaked: reported on stderr and counted
  assert_int_equal(a.outstanding(), 0);
  assert_int_equal(a.leaks(), 1);
  a.release(q);  // stale release after reset does not underflow
  assert_int_equal(a.outstanding(), 0);
  void* r = a.allocate(8);
  a.release(r);
  a.release(nullptr);
  a.reset();
  assert_int_equal(a.leaks(), 1);
}

}  // namespace

static void test_block_pool_reuse(void** state) {
  (void)state;
  mem::BlockPool pool(2);
  void* first = nullptr;
  {
    mem::Arena a(&pool);
    first = a.allocate_scoped(100);
    assert_non_null(first);
    assert_int_equal(pool.in_use(), 1);
    a.release_blocks();
    assert_int_equal(a.blocks(), 0);
    assert_int_equal(pool.in_use(), 0);
    assert_int_equal(pool.cached(), 1);
    // The next allocation takes the cached block back: the same memory.
    assert_ptr_equal(a.allocate_scoped(100), first);
    assert_int_equal(pool.cached(), 0);
  }
  // The destructor gives blocks back; the cache is bounded (max 2).
  assert_int_equal(pool.cached(), 1);
  mem::Arena big(&pool);
  for (int i = 0; i < 4; ++i) assert_non_null(big.allocate_scoped(mem::Arena::kBlockSize));
  assert_int_equal(pool.in_use(), 4);
  big.release_blocks();
  assert_int_equal(pool.cached(), 2);
  assert_int_equal(pool.in_use(), 0);
  // clear() (the server idle) frees the cached blocks; a block in use comes back after it.
  assert_non_null(big.allocate_scoped(100));
  pool.clear();
  assert_int_equal(pool.cached(), 0);
  assert_int_equal(pool.in_use(), 1);
  big.release_blocks();
  assert_int_equal(pool.cached(), 1);
  assert_int_equal(pool.in_use(), 0);
}

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_block_pool_reuse),
      cmocka_unit_test(test_alignment),
      cmocka_unit_test(test_sequential_bump),
      cmocka_unit_test(test_block_chaining),
      cmocka_unit_test(test_reset_reuses_blocks),
      cmocka_unit_test(test_oversized),
      cmocka_unit_test(test_copy),
      cmocka_unit_test(test_leak_tracking),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
