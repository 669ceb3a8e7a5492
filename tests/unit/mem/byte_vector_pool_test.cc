// Unit tests of ByteVectorPool: a vector given back is the one taken next, with its bytes
// untouched (nothing zeroed them), taken only when large enough, and the pool keeps no more
// than its bound; clear() empties it.
#include <cstring>
#include <vector>

#include "flashstor/mem/byte_vector_pool.h"

#include "cmocka_cpp.h"

using flashstor::mem::ByteVectorPool;

namespace {

void test_reuse_without_zeroing(void**) {
  ByteVectorPool pool(1 << 20);
  std::vector<uint8_t> v = pool.take(4096);
  assert_int_equal(v.size(), 4096);
  std::memset(v.data(), 0xAB, v.size());
  const uint8_t* data = v.data();
  pool.give(std::move(v));
  assert_int_equal(pool.bytes(), 4096);
  std::vector<uint8_t> again = pool.take(4096);
  assert_ptr_equal(again.data(), data);  // the same buffer
  assert_int_equal(again[0], 0xAB);      // not zeroed
  assert_int_equal(again[4095], 0xAB);
  assert_int_equal(pool.bytes(), 0);
  // A smaller request takes it too (shrunk, still not zeroed); a larger one gets a new one.
  pool.give(std::move(again));
  std::vector<uint8_t> smaller = pool.take(100);
  assert_int_equal(smaller.size(), 100);
  assert_ptr_equal(smaller.data(), data);
  pool.give(std::move(smaller));
  std::vector<uint8_t> larger = pool.take(8192);
  assert_int_equal(larger.size(), 8192);
  assert_true(larger.data() != data);
  assert_int_equal(pool.bytes(), 4096);  // the small one is still kept
}

void test_bound_and_clear(void**) {
  ByteVectorPool pool(10000);
  std::vector<uint8_t> a = pool.take(4096), b = pool.take(4096), c = pool.take(4096);
  pool.give(std::move(a));
  pool.give(std::move(b));
  pool.give(std::move(c));  // over the bound: freed
  assert_int_equal(pool.bytes(), 8192);
  pool.clear();
  assert_int_equal(pool.bytes(), 0);
}

}  // namespace

int main() {
  const CMUnitTest tests[] = {
      cmocka_unit_test(test_reuse_without_zeroing),
      cmocka_unit_test(test_bound_and_clear),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
