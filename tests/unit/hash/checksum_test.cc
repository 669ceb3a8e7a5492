// Unit tests of hash::Checksum and the algorithm names: standard check values of every
// algorithm, CRCs against bitwise reference implementations on random data at odd offsets,
// incremental updates, repeatable finals, moves, and name/header parsing.
#include <cstring>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "flashstor/hash/hashing_source.h"

#include "cmocka_cpp.h"

using flashstor::hash::Checksum;
using flashstor::hash::ChecksumAlgo;
using flashstor::hash::ChecksumAlgoName;
using flashstor::hash::ChecksumHeader;
using flashstor::hash::HexEncode;
using flashstor::hash::ParseChecksumAlgo;

namespace {

std::string B64(ChecksumAlgo algo, std::string_view data) {
  Checksum c(algo);
  c.update(data);
  return c.final_b64();
}

std::string Hex(ChecksumAlgo algo, std::string_view data) {
  Checksum c(algo);
  c.update(data);
  const std::string raw = c.final_raw();
  return HexEncode({reinterpret_cast<const unsigned char*>(raw.data()), raw.size()});
}

// Slow bit-at-a-time references (reflected, init ~0, xorout ~0), for cross-checking only.
uint32_t RefCrc32(uint32_t poly, std::string_view data) {
  uint32_t crc = ~0u;
  for (unsigned char c : data) {
    crc ^= c;
    for (int i = 0; i < 8; ++i) crc = (crc >> 1) ^ ((crc & 1) ? poly : 0);
  }
  return ~crc;
}

uint64_t RefCrc64(uint64_t poly, std::string_view data) {
  uint64_t crc = ~0ull;
  for (unsigned char c : data) {
    crc ^= c;
    for (int i = 0; i < 8; ++i) crc = (crc >> 1) ^ ((crc & 1) ? poly : 0);
  }
  return ~crc;
}

template <typename T>
std::string BigEndianHex(T v) {
  unsigned char b[sizeof(T)];
  for (size_t i = 0; i < sizeof(T); ++i)
    b[i] = static_cast<unsigned char>(v >> (8 * (sizeof(T) - 1 - i)));
  return HexEncode(b);
}

void test_check_values(void**) {
  const std::string_view s = "123456789";
  assert_string_equal(Hex(ChecksumAlgo::kCrc32, s).c_str(), "cbf43926");
  assert_string_equal(Hex(ChecksumAlgo::kCrc32c, s).c_str(), "e3069283");
  assert_string_equal(Hex(ChecksumAlgo::kCrc64Nvme, s).c_str(), "ae8b14860a799888");
  assert_string_equal(B64(ChecksumAlgo::kCrc32, s).c_str(), "y/Q5Jg==");
  assert_string_equal(B64(ChecksumAlgo::kCrc32c, s).c_str(), "4waSgw==");
  assert_string_equal(B64(ChecksumAlgo::kCrc64Nvme, s).c_str(), "rosUhgp5mIg=");
  assert_string_equal(Hex(ChecksumAlgo::kSha1, "abc").c_str(),
                      "a9993e364706816aba3e25717850c26c9cd0d89d");
  assert_string_equal(B64(ChecksumAlgo::kSha1, "abc").c_str(), "qZk+NkcGgWq6PiVxeFDCbJzQ2J0=");
  assert_string_equal(Hex(ChecksumAlgo::kSha256, "abc").c_str(),
                      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  assert_string_equal(B64(ChecksumAlgo::kSha256, "abc").c_str(),
                      "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=");
  assert_string_equal(
      Hex(ChecksumAlgo::kCrc32, "The quick brown fox jumps over the lazy dog").c_str(), "414fa339");
  // Empty input: CRCs are 0, digests are the standard empty digests.
  assert_string_equal(B64(ChecksumAlgo::kCrc32, "").c_str(), "AAAAAA==");
  assert_string_equal(B64(ChecksumAlgo::kCrc64Nvme, "").c_str(), "AAAAAAAAAAA=");
  assert_string_equal(Hex(ChecksumAlgo::kSha256, "").c_str(),
                      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  // CRC-32C of 32 zero bytes (RFC 3720 B.4).
  assert_string_equal(Hex(ChecksumAlgo::kCrc32c, std::string(32, '\0')).c_str(), "8a9136aa");
  // kNone computes nothing.
  assert_string_equal(B64(ChecksumAlgo::kNone, "abc").c_str(), "");
  Checksum none(ChecksumAlgo::kNone);
  assert_true(none.ok());
  assert_true(none.final_raw().empty());
}

// Random lengths at unaligned offsets exercise the word-at-a-time paths' heads and tails.
void test_crcs_match_reference(void**) {
  std::mt19937 rng(42);
  std::string buf(4200, '\0');
  for (auto& c : buf) c = static_cast<char>(rng());
  for (size_t len = 0; len < 300; ++len) {
    for (size_t off : {0u, 1u, 3u, 7u}) {
      const std::string_view d(buf.data() + off, len);
      assert_string_equal(Hex(ChecksumAlgo::kCrc32, d).c_str(),
                          BigEndianHex(RefCrc32(0xEDB88320u, d)).c_str());
      assert_string_equal(Hex(ChecksumAlgo::kCrc32c, d).c_str(),
                          BigEndianHex(RefCrc32(0x82F63B78u, d)).c_str());
      assert_string_equal(Hex(ChecksumAlgo::kCrc64Nvme, d).c_str(),
                          BigEndianHex(RefCrc64(0x9A6C9329AC4BC9B5ull, d)).c_str());
    }
  }
  const std::string_view big(buf.data() + 5, 4190);
  assert_string_equal(Hex(ChecksumAlgo::kCrc64Nvme, big).c_str(),
                      BigEndianHex(RefCrc64(0x9A6C9329AC4BC9B5ull, big)).c_str());
}

void test_incremental_equals_one_shot(void**) {
  std::mt19937 rng(7);
  std::string data(100000, '\0');
  for (auto& c : data) c = static_cast<char>(rng());
  for (ChecksumAlgo algo : {ChecksumAlgo::kCrc32, ChecksumAlgo::kCrc32c, ChecksumAlgo::kCrc64Nvme,
                            ChecksumAlgo::kSha1, ChecksumAlgo::kSha256}) {
    const std::string whole = B64(algo, data);
    Checksum c(algo);
    size_t off = 0;
    while (off < data.size()) {
      const size_t n = std::min<size_t>(rng() % 1500, data.size() - off);
      c.update(std::string_view(data).substr(off, n));  // includes empty updates
      off += n;
    }
    assert_string_equal(c.final_b64().c_str(), whole.c_str());
    assert_string_equal(c.final_b64().c_str(), whole.c_str());  // repeatable
    c.update(std::string_view("more"));                         // ignored after final
    assert_string_equal(c.final_b64().c_str(), whole.c_str());
  }
}

void test_move(void**) {
  Checksum a(ChecksumAlgo::kSha256);
  a.update(std::string_view("ab"));  // a literal as span would include its NUL
  Checksum b(std::move(a));
  b.update(std::string_view("c"));
  assert_int_equal(static_cast<int>(b.algo()), static_cast<int>(ChecksumAlgo::kSha256));
  assert_string_equal(b.final_b64().c_str(), "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=");
  Checksum c(ChecksumAlgo::kCrc32);
  c = std::move(b);
  assert_string_equal(c.final_b64().c_str(), "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=");
}

void test_names(void**) {
  const std::pair<std::string_view, ChecksumAlgo> good[] = {
      {"CRC32", ChecksumAlgo::kCrc32},         {"crc32", ChecksumAlgo::kCrc32},
      {"CRC32C", ChecksumAlgo::kCrc32c},       {"Crc32c", ChecksumAlgo::kCrc32c},
      {"CRC64NVME", ChecksumAlgo::kCrc64Nvme}, {"crc64nvme", ChecksumAlgo::kCrc64Nvme},
      {"SHA1", ChecksumAlgo::kSha1},           {"sha256", ChecksumAlgo::kSha256},
  };
  for (auto [name, algo] : good) {
    auto got = ParseChecksumAlgo(name);
    assert_true(got.has_value());
    assert_int_equal(static_cast<int>(*got), static_cast<int>(algo));
  }
  const std::string_view bad_names[] = {"",       "MD5",     "CRC",
                                        "CRC64",  "SHA-256", "CRC32 ",
                                        " CRC32", "CRC32CC", std::string_view("CRC32\0", 6)};
  for (std::string_view bad : bad_names) {
    assert_false(ParseChecksumAlgo(bad).has_value());
  }
  assert_string_equal(std::string(ChecksumAlgoName(ChecksumAlgo::kCrc64Nvme)).c_str(), "CRC64NVME");
  assert_string_equal(std::string(ChecksumAlgoName(ChecksumAlgo::kSha1)).c_str(), "SHA1");
  assert_true(ChecksumAlgoName(ChecksumAlgo::kNone).empty());
  assert_string_equal(std::string(ChecksumHeader(ChecksumAlgo::kCrc32c)).c_str(),
                      "x-amz-checksum-crc32c");
  assert_string_equal(std::string(ChecksumHeader(ChecksumAlgo::kSha256)).c_str(),
                      "x-amz-checksum-sha256");
  assert_true(ChecksumHeader(ChecksumAlgo::kNone).empty());
}

// Combining the CRCs of pieces gives the CRC of the whole, for every combinable algorithm
// and split point (including empty pieces); other algorithms refuse.
void test_combine(void** state) {
  (void)state;
  std::mt19937 rng(11);
  std::string data(3000, '\0');
  for (char& c : data) c = static_cast<char>(rng());
  for (ChecksumAlgo algo :
       {ChecksumAlgo::kCrc32, ChecksumAlgo::kCrc32c, ChecksumAlgo::kCrc64Nvme}) {
    assert_true(flashstor::hash::CombinableChecksum(algo));
    Checksum whole(algo);
    whole.update(data);
    for (size_t cut : {size_t{0}, size_t{1}, size_t{1000}, size_t{2999}, size_t{3000}}) {
      Checksum a(algo), b(algo);
      a.update(std::string_view(data).substr(0, cut));
      b.update(std::string_view(data).substr(cut));
      auto combined =
          flashstor::hash::CombineChecksums(algo, a.final_raw(), b.final_raw(), data.size() - cut);
      assert_true(combined.has_value());
      assert_true(*combined == whole.final_raw());
    }
    // An empty A: the whole is B.
    auto only_b = flashstor::hash::CombineChecksums(algo, "", whole.final_raw(), data.size());
    assert_true(only_b.has_value() && *only_b == whole.final_raw());
    assert_false(flashstor::hash::CombineChecksums(algo, "x", whole.final_raw(), 1).has_value());
  }
  assert_false(flashstor::hash::CombinableChecksum(ChecksumAlgo::kSha256));
  assert_false(flashstor::hash::CombineChecksums(ChecksumAlgo::kSha1, "", std::string(20, 'a'), 1)
                   .has_value());
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_check_values),
      cmocka_unit_test(test_crcs_match_reference),
      cmocka_unit_test(test_incremental_equals_one_shot),
      cmocka_unit_test(test_move),
      cmocka_unit_test(test_names),
      cmocka_unit_test(test_combine),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
