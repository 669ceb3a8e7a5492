// Unit tests of erasure bitrot digests: the pinned on-disk layout (CRC-64/XZ then CRC-32C,
// big-endian), detection of every single flipped bit in a 4 KiB block, and of truncation.
#include <random>
#include <string_view>
#include <vector>

#include "flashstor/erasure/bitrot.h"

#include "cmocka_cpp.h"

using flashstor::erasure::BitrotDigest;
using flashstor::erasure::BitrotHash;
using flashstor::erasure::BitrotVerify;

namespace {

std::span<const uint8_t> Bytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

std::vector<uint8_t> RandomBlock(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<uint8_t> v(n);
  for (auto& b : v) b = static_cast<uint8_t>(rng());
  return v;
}

void test_known_vectors(void**) {
  // CRC-64/XZ("123456789") = 995DC9BBDF1939FA, CRC-32C("123456789") = E3069283.
  const BitrotDigest want{0x99, 0x5D, 0xC9, 0xBB, 0xDF, 0x19, 0x39, 0xFA, 0xE3, 0x06, 0x92, 0x83};
  assert_true(BitrotHash(Bytes("123456789")) == want);
  assert_true(BitrotVerify(Bytes("123456789"), want));
  const BitrotDigest zero{};
  assert_true(BitrotHash({}) == zero);  // both CRCs of nothing are 0
  // 32 zero bytes: CRC-32C = 8A9136AA (RFC 3720 B.4); CRC-64/XZ must not be 0.
  const std::vector<uint8_t> zeros(32, 0);
  const BitrotDigest d = BitrotHash(zeros);
  assert_int_equal(d[8], 0x8A);
  assert_int_equal(d[9], 0x91);
  assert_int_equal(d[10], 0x36);
  assert_int_equal(d[11], 0xAA);
  assert_false(BitrotHash(std::vector<uint8_t>(31, 0)) == d);  // length matters for zeros
}

void test_every_bit_flip_detected(void**) {
  std::vector<uint8_t> block = RandomBlock(4096, 1);
  const BitrotDigest good = BitrotHash(block);
  assert_true(BitrotVerify(block, good));
  for (size_t bit = 0; bit < block.size() * 8; ++bit) {
    block[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
    assert_false(BitrotVerify(block, good));
    block[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
  }
  assert_true(BitrotVerify(block, good));
}

void test_digest_bit_flip_detected(void**) {
  const std::vector<uint8_t> block = RandomBlock(4096, 2);
  const BitrotDigest good = BitrotHash(block);
  for (size_t bit = 0; bit < good.size() * 8; ++bit) {
    BitrotDigest bad = good;
    bad[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
    assert_false(BitrotVerify(block, bad));
  }
}

void test_truncation_and_extension_detected(void**) {
  std::vector<uint8_t> block = RandomBlock(4096, 3);
  block.back() = 0;  // a trailing zero byte is the hardest case for a CRC
  const BitrotDigest good = BitrotHash(block);
  for (size_t len = 0; len < block.size(); ++len) {
    assert_false(BitrotVerify(std::span(block).first(len), good));
  }
  block.push_back(0);
  assert_false(BitrotVerify(block, good));
}

void test_burst_errors_detected(void**) {
  // Any burst shorter than 96 bits is detected (the two CRCs act as one 96-bit CRC);
  // spot-check bursts of up to 8 bytes at every offset.
  std::vector<uint8_t> block = RandomBlock(4096, 4);
  const BitrotDigest good = BitrotHash(block);
  for (size_t len = 1; len <= 8; ++len) {
    for (size_t off = 0; off + len <= block.size(); off += 13) {
      std::vector<uint8_t> bad = block;
      for (size_t i = 0; i < len; ++i) bad[off + i] ^= static_cast<uint8_t>(0x81 + i);
      assert_false(BitrotVerify(bad, good));
    }
  }
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_known_vectors),
      cmocka_unit_test(test_every_bit_flip_detected),
      cmocka_unit_test(test_digest_bit_flip_detected),
      cmocka_unit_test(test_truncation_and_extension_detected),
      cmocka_unit_test(test_burst_errors_detected),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
