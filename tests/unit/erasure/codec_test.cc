// Unit tests of erasure::ErasureCodec: parameter checks, the codec cache, ShardSize, encode
// against a scalar GF(2^8) reference, reconstruction after every loss of up to m shards,
// quorum failures, span validation, and SplitBlock/JoinBlock round trips of whole objects.
#include <isa-l/erasure_code.h>

#include <algorithm>
#include <bit>
#include <cstring>
#include <memory>
#include <random>
#include <span>
#include <utility>
#include <vector>

#include "flashstor/erasure/codec.h"

#include "cmocka_cpp.h"

using flashstor::Code;
using flashstor::erasure::ErasureCodec;
using flashstor::erasure::JoinBlock;
using flashstor::erasure::SplitBlock;

namespace {

using Shards = std::vector<std::vector<uint8_t>>;

constexpr std::pair<int, int> kLayouts[] = {{1, 0}, {2, 1}, {2, 2}, {3, 1},
                                            {4, 2}, {6, 2}, {8, 4}, {12, 4}};

std::shared_ptr<const ErasureCodec> MustCreate(int k, int m) {
  auto codec = ErasureCodec::Create(k, m);
  assert_true(codec.has_value());
  return *codec;
}

std::vector<std::span<uint8_t>> Spans(Shards& shards) {
  std::vector<std::span<uint8_t>> out;
  for (auto& s : shards) out.emplace_back(s);
  return out;
}

// k random data shards and m parity shards filled with garbage, then encoded.
Shards Encoded(const ErasureCodec& codec, size_t shard_size, uint32_t seed) {
  std::mt19937 rng(seed);
  Shards shards(static_cast<size_t>(codec.total_shards()), std::vector<uint8_t>(shard_size));
  for (auto& s : shards) {
    for (auto& b : s) b = static_cast<uint8_t>(rng());
  }
  auto spans = Spans(shards);
  assert_true(codec.encode(spans).ok());
  return shards;
}

void test_create_validation(void**) {
  const std::pair<int, int> bad[] = {{0, 0}, {0, 2}, {-1, 2}, {1, -1}, {33, 0}, {31, 2}, {1, 32}};
  for (auto [k, m] : bad) {
    auto codec = ErasureCodec::Create(k, m);
    assert_false(codec.has_value());
    assert_true(codec.error() == Code::kInvalidArgument);
  }
  for (auto [k, m] : {std::pair{1, 0}, {32, 0}, {16, 16}, {1, 31}}) {
    auto codec = MustCreate(k, m);
    assert_int_equal(codec->data_shards(), k);
    assert_int_equal(codec->parity_shards(), m);
    assert_int_equal(codec->total_shards(), k + m);
  }
  // Cached: one object per (k, m).
  auto a = MustCreate(4, 2);
  auto b = MustCreate(4, 2);
  auto c = MustCreate(4, 3);
  assert_ptr_equal(a.get(), b.get());
  assert_ptr_not_equal(a.get(), c.get());
}

void test_shard_size(void**) {
  assert_int_equal(ErasureCodec::ShardSize(0, 4), 0);
  assert_int_equal(ErasureCodec::ShardSize(1, 4), 1);
  assert_int_equal(ErasureCodec::ShardSize(3, 4), 1);
  assert_int_equal(ErasureCodec::ShardSize(4, 4), 1);
  assert_int_equal(ErasureCodec::ShardSize(5, 4), 2);
  assert_int_equal(ErasureCodec::ShardSize(1 << 20, 12), 87382);
  assert_int_equal(ErasureCodec::ShardSize(7, 1), 7);
  assert_int_equal(ErasureCodec::ShardSize(7, 0), 0);
  assert_int_equal(ErasureCodec::ShardSize(7, -3), 0);
  assert_true(ErasureCodec::ShardSize(SIZE_MAX, 1) == SIZE_MAX);
  assert_true(ErasureCodec::ShardSize(SIZE_MAX, 2) == SIZE_MAX / 2 + 1);
}

// Parity must be the Cauchy matrix applied byte by byte (the on-disk format); computed here
// with ISA-L's scalar gf_mul/gf_inv, independent of the SIMD encode path.
void test_encode_matches_reference(void**) {
  for (auto [k, m] : kLayouts) {
    auto codec = MustCreate(k, m);
    for (size_t size : {1u, 31u, 100u}) {
      Shards shards = Encoded(*codec, size, 7);
      for (int r = k; r < k + m; ++r) {
        for (size_t b = 0; b < size; ++b) {
          uint8_t want = 0;
          for (int j = 0; j < k; ++j) {
            const uint8_t coef = gf_inv(static_cast<uint8_t>(r ^ j));
            want ^= gf_mul(coef, shards[static_cast<size_t>(j)][b]);
          }
          assert_int_equal(shards[static_cast<size_t>(r)][b], want);
        }
      }
    }
  }
}

// Loses every combination of up to m shards, for each layout and several shard sizes.
void test_reconstruct_every_loss(void**) {
  for (auto [k, m] : kLayouts) {
    auto codec = MustCreate(k, m);
    const unsigned n = static_cast<unsigned>(k + m);
    for (size_t size : {1u, 16u, 33u, 1000u}) {
      const Shards original = Encoded(*codec, size, static_cast<uint32_t>(k * 100 + m));
      for (unsigned mask = 0; mask < (1u << n); ++mask) {
        if (std::popcount(mask) > m) continue;
        std::unique_ptr<bool[]> present(new bool[n]);
        Shards full = original, data_only = original;
        for (unsigned i = 0; i < n; ++i) {
          present[i] = (mask >> i & 1) == 0;
          if (!present[i]) {
            std::fill(full[i].begin(), full[i].end(), 0xA5);
            std::fill(data_only[i].begin(), data_only[i].end(), 0x5A);
          }
        }
        std::span<const bool> p(present.get(), n);
        auto full_spans = Spans(full);
        auto data_spans = Spans(data_only);
        assert_true(codec->reconstruct(full_spans, p).ok());
        assert_true(codec->reconstruct_data(data_spans, p).ok());
        for (unsigned i = 0; i < n; ++i) {
          assert_memory_equal(full[i].data(), original[i].data(), size);
          if (i < static_cast<unsigned>(k) || p[i]) {
            assert_memory_equal(data_only[i].data(), original[i].data(), size);
          } else {  // reconstruct_data leaves lost parity alone
            assert_int_equal(data_only[i][0], 0x5A);
          }
        }
      }
    }
  }
}

void test_too_few_present(void**) {
  for (auto [k, m] : kLayouts) {
    auto codec = MustCreate(k, m);
    const size_t n = static_cast<size_t>(k + m);
    const Shards original = Encoded(*codec, 64, 3);
    // Lose m + 1 shards in a few positions: first ones, last ones, spread out.
    for (size_t start = 0; start < n; ++start) {
      std::unique_ptr<bool[]> present(new bool[n]);
      for (size_t i = 0; i < n; ++i) present[i] = true;
      for (size_t j = 0; j <= static_cast<size_t>(m); ++j) present[(start + j * 3) % n] = false;
      size_t missing = 0;
      for (size_t i = 0; i < n; ++i) missing += present[i] ? 0 : 1;
      if (missing <= static_cast<size_t>(m)) continue;  // positions collided
      Shards shards = original;
      auto spans = Spans(shards);
      std::span<const bool> p(present.get(), n);
      auto st = codec->reconstruct(spans, p);
      assert_true(st == Code::kReadQuorum);
      assert_true(codec->reconstruct_data(spans, p) == Code::kReadQuorum);
      for (size_t i = 0; i < n; ++i) {
        assert_memory_equal(shards[i].data(), original[i].data(), 64);  // untouched
      }
    }
  }
}

void test_bad_spans(void**) {
  auto codec = MustCreate(4, 2);
  Shards shards(6, std::vector<uint8_t>(32));
  auto spans = Spans(shards);
  bool present[6] = {true, true, true, true, true, true};
  // Wrong count.
  assert_true(codec->encode(std::span(spans).first(5)) == Code::kInvalidArgument);
  spans.emplace_back(shards[0]);
  assert_true(codec->encode(spans) == Code::kInvalidArgument);
  spans.pop_back();
  // Unequal sizes.
  spans[5] = std::span<uint8_t>(shards[5]).first(31);
  assert_true(codec->encode(spans) == Code::kInvalidArgument);
  assert_true(codec->reconstruct(spans, present) == Code::kInvalidArgument);
  spans[5] = shards[5];
  // present of the wrong length.
  assert_true(codec->reconstruct(spans, std::span<const bool>(present, 5)) ==
              Code::kInvalidArgument);
  assert_true(codec->reconstruct_data(spans, std::span<const bool>(present, 5)) ==
              Code::kInvalidArgument);
  // Everything present: nothing to do.
  assert_true(codec->reconstruct(spans, present).ok());
  // Zero-sized shards are valid and a no-op.
  std::vector<std::span<uint8_t>> empty(6);
  assert_true(codec->encode(empty).ok());
  present[1] = false;
  assert_true(codec->reconstruct(empty, present).ok());
}

void test_no_parity(void**) {
  auto codec = MustCreate(3, 0);
  Shards shards = Encoded(*codec, 10, 9);
  const Shards before = shards;
  auto spans = Spans(shards);
  assert_true(codec->encode(spans).ok());  // no-op
  assert_true(shards == before);
  bool all[3] = {true, true, true};
  assert_true(codec->reconstruct(spans, all).ok());
  bool lost[3] = {true, false, true};
  assert_true(codec->reconstruct(spans, lost) == Code::kReadQuorum);
  assert_true(codec->reconstruct_data(spans, lost) == Code::kReadQuorum);
}

void test_split_join_errors(void**) {
  std::vector<uint8_t> block(10, 1);
  Shards shards(3, std::vector<uint8_t>(4));  // ShardSize(10, 3) == 4
  auto spans = Spans(shards);
  assert_true(SplitBlock(block, spans).ok());
  assert_true(SplitBlock(block, {}) == Code::kInvalidArgument);
  assert_true(JoinBlock({}, block) == Code::kInvalidArgument);
  spans[2] = std::span<uint8_t>(shards[2]).first(3);
  assert_true(SplitBlock(block, spans) == Code::kInvalidArgument);
  assert_true(JoinBlock(spans, block) == Code::kInvalidArgument);
  spans[2] = shards[2];
  std::vector<uint8_t> big(13);  // needs 5-byte shards
  assert_true(SplitBlock(big, spans) == Code::kInvalidArgument);
  assert_true(JoinBlock(spans, big) == Code::kInvalidArgument);
}

// Streams an object through blocks: split, encode, lose m shards, reconstruct, join.
void RoundTripObject(const ErasureCodec& codec, size_t block_size, size_t object_size) {
  std::mt19937 rng(static_cast<uint32_t>(object_size));
  std::vector<uint8_t> object(object_size), joined;
  for (auto& b : object) b = static_cast<uint8_t>(rng());
  const size_t k = static_cast<size_t>(codec.data_shards());
  const size_t n = static_cast<size_t>(codec.total_shards());
  size_t off = 0;
  do {  // a 0-byte object is still one (empty) block
    const size_t len = std::min(block_size, object_size - off);
    std::span<const uint8_t> block(object.data() + off, len);
    const size_t shard = ErasureCodec::ShardSize(len, codec.data_shards());
    Shards shards(n, std::vector<uint8_t>(shard, 0xEE));
    auto spans = Spans(shards);
    assert_true(SplitBlock(block, std::span(spans).first(k)).ok());
    // Padding after the block's last byte is zero.
    for (size_t i = len; i < shard * k; ++i) assert_int_equal(shards[i / shard][i % shard], 0);
    assert_true(codec.encode(spans).ok());
    std::unique_ptr<bool[]> present(new bool[n]);
    for (size_t i = 0; i < n; ++i) present[i] = i >= static_cast<size_t>(codec.parity_shards());
    for (size_t i = 0; i < static_cast<size_t>(codec.parity_shards()); ++i) {
      std::fill(shards[i].begin(), shards[i].end(), 0x33);  // lose the first m shards
    }
    assert_true(codec.reconstruct_data(spans, std::span<const bool>(present.get(), n)).ok());
    std::vector<uint8_t> out(len, 0x77);
    assert_true(JoinBlock(std::span(spans).first(k), out).ok());
    joined.insert(joined.end(), out.begin(), out.end());
    off += len;
  } while (off < object_size);
  assert_int_equal(joined.size(), object_size);
  assert_true(joined == object);
}

void test_split_join_objects(void**) {
  for (auto [k, m] : kLayouts) {
    auto codec = MustCreate(k, m);
    for (size_t block : {1000u, 4096u}) {
      for (size_t size : {size_t{0}, size_t{1}, block - 1, block, block + 1, 3 * block + 7}) {
        RoundTripObject(*codec, block, size);
      }
    }
  }
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_create_validation),
      cmocka_unit_test(test_shard_size),
      cmocka_unit_test(test_encode_matches_reference),
      cmocka_unit_test(test_reconstruct_every_loss),
      cmocka_unit_test(test_too_few_present),
      cmocka_unit_test(test_bad_spans),
      cmocka_unit_test(test_no_parity),
      cmocka_unit_test(test_split_join_errors),
      cmocka_unit_test(test_split_join_objects),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
