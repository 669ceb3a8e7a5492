// Unit tests for obs::SpscByteRing: FIFO order and exact bytes, full/empty edges, records that
// wrap past the end of the storage, oversized records refused, 2-thread stress of
// variable-length records (run under TSan by ci/tsan.sh).
#include <cstdint>
#include <cstring>
#include <memory>
#include <thread>
#include <vector>

#include "flashstor/obs/spsc_byte_ring.h"

#include "cmocka_cpp.h"

using flashstor::obs::SpscByteRing;

namespace {

// Rings are made on the heap: their storage is cache-line aligned (64 bytes), which ASan's
// fake stack frames (detect_stack_use_after_return) do not honour; the daemon's rings are on
// the heap too (AuditLog::register_producer).

// Writes a record of len bytes, each byte (seed + i) & 0xff.
template <size_t N>
bool Write(SpscByteRing<N>& ring, size_t len, uint8_t seed) {
  return ring.try_write(len, [&](uint8_t* out) {
    for (size_t i = 0; i < len; ++i) out[i] = static_cast<uint8_t>(seed + i);
  });
}

// Reads one record; false when empty or when its bytes are not Write's.
template <size_t N>
bool ReadExpect(SpscByteRing<N>& ring, size_t len, uint8_t seed) {
  bool same = false;
  const bool got = ring.consume_one([&](std::span<const uint8_t> in) {
    same = in.size() == len;
    for (size_t i = 0; same && i < len; ++i) same = in[i] == static_cast<uint8_t>(seed + i);
  });
  return got && same;
}

void test_fifo_and_empty(void**) {
  auto ring_owner = std::make_unique<SpscByteRing<256>>();
  auto& ring = *ring_owner;
  assert_true(ring.empty());
  bool called = false;
  assert_false(ring.consume_one([&](std::span<const uint8_t>) { called = true; }));
  assert_false(called);  // not called when empty
  assert_true(Write(ring, 0, 0));
  assert_true(Write(ring, 5, 1));
  assert_true(Write(ring, 16, 2));
  assert_int_equal(ring.used_bytes(), 8 + (8 + 8) + (8 + 16));  // headers, padding to 8
  assert_true(ReadExpect(ring, 0, 0));
  assert_true(ReadExpect(ring, 5, 1));
  assert_true(ReadExpect(ring, 16, 2));
  assert_true(ring.empty());
}

void test_full_rejects_and_recovers(void**) {
  auto ring_owner = std::make_unique<SpscByteRing<128>>();
  auto& ring = *ring_owner;
  // 4 records of 24 bytes (32 with the header) fill 128 bytes exactly.
  for (uint8_t i = 0; i < 4; ++i) assert_true(Write(ring, 24, i));
  bool called = false;
  assert_false(ring.try_write(1, [&](uint8_t*) { called = true; }));
  assert_false(called);  // fill not called when full
  assert_true(ReadExpect(ring, 24, 0));
  assert_false(Write(ring, 25, 9));  // 40 bytes do not fit in the 32 freed
  assert_true(Write(ring, 24, 4));
  for (uint8_t i = 1; i <= 4; ++i) assert_true(ReadExpect(ring, 24, i));
  assert_true(ring.empty());
}

void test_records_wrap_whole(void**) {
  auto ring_owner = std::make_unique<SpscByteRing<256>>();
  auto& ring = *ring_owner;
  // 224 bytes used, then freed: the next 40-byte record (48 with its header) does not fit in
  // the 32 bytes before the end, so it starts the next lap behind a wrap header and still
  // reads back whole.
  assert_true(Write(ring, 112, 1));  // bytes 0..120
  assert_true(Write(ring, 96, 2));   // 120..224
  assert_true(ReadExpect(ring, 112, 1));
  assert_true(ReadExpect(ring, 96, 2));
  assert_true(Write(ring, 40, 3));
  assert_int_equal(ring.used_bytes(), 32 + 48);
  assert_true(ReadExpect(ring, 40, 3));
  assert_true(ring.empty());
  // The skipped end counts against the room, and a wrapped record must not reach the
  // consumer's unread bytes.
  auto other_owner = std::make_unique<SpscByteRing<256>>();
  auto& other = *other_owner;
  assert_true(Write(other, 112, 4));       // 0..120
  assert_true(Write(other, 96, 5));        // 120..224
  assert_true(ReadExpect(other, 112, 4));  // free: 120 at the start, 32 at the end
  assert_false(Write(other, 120, 6));      // 32 skipped + 128 > 152 free, though 128 would fit
  assert_true(Write(other, 112, 6));       // the end's 32 skipped, written at 0..120
  assert_false(Write(other, 0, 7));        // full: the unread record starts at 120
  assert_true(ReadExpect(other, 96, 5));
  assert_true(ReadExpect(other, 112, 6));  // past the wrap header
  assert_true(other.empty());
}

void test_oversized_refused(void**) {
  auto ring_owner = std::make_unique<SpscByteRing<128>>();
  auto& ring = *ring_owner;
  static_assert(SpscByteRing<128>::kMaxRecord == 56);
  assert_false(Write(ring, 57, 0));
  assert_true(Write(ring, 56, 0));
  assert_true(ReadExpect(ring, 56, 0));
}

void test_many_laps_variable_sizes(void**) {
  auto ring_owner = std::make_unique<SpscByteRing<1024>>();
  auto& ring = *ring_owner;
  size_t written = 0, read = 0;
  for (size_t round = 0; round < 5000; ++round) {
    const size_t len = (round * 37) % 200;
    while (!Write(ring, len, static_cast<uint8_t>(round))) {
      assert_true(ReadExpect(ring, (read * 37) % 200, static_cast<uint8_t>(read)));
      ++read;
    }
    ++written;
  }
  while (read < written) {
    assert_true(ReadExpect(ring, (read * 37) % 200, static_cast<uint8_t>(read)));
    ++read;
  }
  assert_true(ring.empty());
}

void test_two_thread_stress(void**) {
  constexpr uint64_t kCount = 300000;
  auto ring = std::make_unique<SpscByteRing<4096>>();
  std::thread producer([&] {
    for (uint64_t i = 0; i < kCount; ++i) {
      const size_t len = 8 + (i * 13) % 300;
      while (!ring->try_write(len, [&](uint8_t* out) {
        std::memcpy(out, &i, sizeof(i));
        std::memset(out + sizeof(i), static_cast<int>(i & 0xff), len - sizeof(i));
      })) {
      }
    }
  });
  uint64_t expected = 0, errors = 0;
  while (expected < kCount) {
    ring->consume_one([&](std::span<const uint8_t> in) {
      uint64_t v = 0;
      std::memcpy(&v, in.data(), sizeof(v));
      bool ok = v == expected && in.size() == 8 + (v * 13) % 300;
      for (size_t i = sizeof(v); ok && i < in.size(); ++i) ok = in[i] == (v & 0xff);
      errors += ok ? 0 : 1;
      expected = v + 1;  // resynchronise so one error is not counted many times
    });
  }
  producer.join();
  assert_int_equal(errors, 0);
  assert_int_equal(expected, kCount);
  assert_true(ring->empty());
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_fifo_and_empty),
      cmocka_unit_test(test_full_rejects_and_recovers),
      cmocka_unit_test(test_records_wrap_whole),
      cmocka_unit_test(test_oversized_refused),
      cmocka_unit_test(test_many_laps_variable_sizes),
      cmocka_unit_test(test_two_thread_stress),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
