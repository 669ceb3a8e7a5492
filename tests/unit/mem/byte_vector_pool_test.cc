// Unit tests of ByteVectorPool: a vector given back is the one taken next, with its bytes
// untouched (nothing zeroed them, nor a resize within their capacity), taken only when large
// enough, and the pool keeps no more than its bound and no small vectors; clear() empties it;
// fit() sizes from the pool.
#include <cstring>
#include <vector>

#include "flashstor/mem/byte_vector_pool.h"

#include "cmocka_cpp.h"

using flashstor::mem::ByteVectorPool;
using flashstor::mem::ShardBuffer;

namespace {

constexpr size_t kSize = ByteVectorPool::kPooledMin;  // whole pages
// What a new vector of kSize holds: a page more, for the lead of a write (shard_io.h).
constexpr size_t kCapacity = kSize + flashstor::mem::kPageBytes;

void test_reuse_without_zeroing(void**) {
  ByteVectorPool pool(1 << 20);
  ShardBuffer v = pool.take(kSize);
  assert_int_equal(v.size(), kSize);
  std::memset(v.data(), 0xAB, v.size());
  const uint8_t* data = v.data();
  pool.give(std::move(v));
  assert_int_equal(pool.bytes(), kCapacity);
  ShardBuffer again = pool.take(kSize);
  assert_ptr_equal(again.data(), data);  // the same buffer
  assert_int_equal(again[0], 0xAB);      // not zeroed
  assert_int_equal(again[kSize - 1], 0xAB);
  assert_int_equal(pool.bytes(), 0);
  // A smaller request takes it too (shrunk, still not zeroed); a larger one gets a new one.
  pool.give(std::move(again));
  ShardBuffer smaller = pool.take(100);
  assert_int_equal(smaller.size(), 100);
  assert_ptr_equal(smaller.data(), data);
  pool.give(std::move(smaller));
  ShardBuffer larger = pool.take(2 * kSize);
  assert_int_equal(larger.size(), 2 * kSize);
  assert_true(larger.data() != data);
  assert_int_equal(pool.bytes(), kCapacity);  // the smaller one is still kept
  // Grown back within its capacity: the bytes past its 100 are the ones left there, not zeroed
  // (ShardBuffer's resize initialises nothing; std::allocator's zeroed them).
  ShardBuffer regrown = pool.take(kSize);
  assert_ptr_equal(regrown.data(), data);
  assert_int_equal(regrown[100], 0xAB);
  assert_int_equal(regrown[kSize - 1], 0xAB);
}

void test_bound_and_clear(void**) {
  ByteVectorPool pool(2 * kSize + kSize / 2);
  ShardBuffer a = pool.take(kSize), b = pool.take(kSize), c = pool.take(kSize);
  pool.give(std::move(a));
  pool.give(std::move(b));
  pool.give(std::move(c));  // over the bound: freed
  assert_int_equal(pool.bytes(), 2 * kCapacity);
  pool.clear();
  assert_int_equal(pool.bytes(), 0);
  // A raised bound (the server sets the shard pool's from its request memory budget) keeps
  // the third one too.
  pool.set_max_bytes(3 * kCapacity);
  a = pool.take(kSize), b = pool.take(kSize), c = pool.take(kSize);
  pool.give(std::move(a));
  pool.give(std::move(b));
  pool.give(std::move(c));
  assert_int_equal(pool.bytes(), 3 * kCapacity);
}

void test_small_vectors_not_kept(void**) {
  // An inline object's 2 KiB shards would fill the bound with thousands of small vectors.
  ByteVectorPool pool(1 << 20);
  for (int i = 0; i < 100; ++i) pool.give(ShardBuffer(2060));
  pool.give(ShardBuffer(kSize - 1));
  assert_int_equal(pool.bytes(), 0);
}

void test_fit(void**) {
  ByteVectorPool pool(4 << 20);
  // Below kPooledMin: resized in place, the pool untouched.
  ShardBuffer small;
  pool.fit(small, 100);
  assert_int_equal(small.size(), 100);
  assert_int_equal(pool.bytes(), 0);
  // A large size the vector cannot hold: a pool vector takes its place, the old buffer goes
  // to the pool, and a later fit of that size takes it back unzeroed.
  const size_t big = ByteVectorPool::kPooledMin * 2;
  ShardBuffer kept = pool.take(big);
  std::memset(kept.data(), 0xCD, kept.size());
  const uint8_t* kept_data = kept.data();
  pool.give(std::move(kept));
  pool.fit(small, big);
  assert_int_equal(small.size(), big);
  assert_ptr_equal(small.data(), kept_data);
  assert_int_equal(small[big - 1], 0xCD);
  assert_int_equal(pool.bytes(), 0);  // the 100-byte buffer it replaced is freed, not kept
  // Capacity enough: resized in place, same buffer.
  pool.fit(small, big / 2);
  assert_ptr_equal(small.data(), kept_data);
  assert_int_equal(small.size(), big / 2);
  pool.fit(small, big);  // grown back in place: nothing zeroed
  assert_int_equal(small[big - 1], 0xCD);
  // A block's shard after the largest lead (a page less a byte) still fits the same buffer:
  // the blocks of one PUT do not trade buffers with the pool as their lead moves.
  pool.fit(small, big + flashstor::mem::kPageBytes - 1);
  assert_ptr_equal(small.data(), kept_data);
  assert_int_equal(pool.bytes(), 0);
}

}  // namespace

int main() {
  const CMUnitTest tests[] = {
      cmocka_unit_test(test_reuse_without_zeroing),
      cmocka_unit_test(test_bound_and_clear),
      cmocka_unit_test(test_small_vectors_not_kept),
      cmocka_unit_test(test_fit),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
