// ErasureCodec: Reed-Solomon encode and reconstruct over ISA-L, plus the process-wide codec
// cache and the block split/join helpers.
#include "flashstor/erasure/codec.h"

#include <isa-l/erasure_code.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <climits>
#include <cstring>
#include <ctime>
#include <map>
#include <mutex>
#include <utility>

namespace flashstor::erasure {
namespace {

constexpr size_t kMaxRows = kMaxTotalShards;
// Decode scratch lives on the stack: k x k matrices and 32 bytes per coefficient of the
// decode tables (at most k rows of output). 32 * 32 * 32 = 32 KiB at the limit.
using Matrix = std::array<uint8_t, kMaxRows * kMaxRows>;
using Tables = std::array<uint8_t, 32 * kMaxRows * kMaxRows>;

struct CodecCache {
  std::mutex mu;
  std::map<std::pair<int, int>, std::shared_ptr<const ErasureCodec>> codecs;
};

CodecCache& Cache() {
  static CodecCache* cache = new CodecCache();  // never destroyed: safe during exit
  return *cache;
}

}  // namespace

ErasureCodec::ErasureCodec(int k, int m)
    : k_(k), m_(m), encode_matrix_(static_cast<size_t>((k + m) * k)) {
  gf_gen_cauchy1_matrix(encode_matrix_.data(), k + m, k);
  if (m > 0) {
    encode_tables_.resize(static_cast<size_t>(32 * k * m));
    ec_init_tables(k, m, encode_matrix_.data() + static_cast<size_t>(k * k), encode_tables_.data());
  }
}

Result<std::shared_ptr<const ErasureCodec>> ErasureCodec::Create(int data_shards,
                                                                 int parity_shards) {
  if (data_shards < 1 || parity_shards < 0 || data_shards > kMaxTotalShards ||
      parity_shards > kMaxTotalShards - data_shards) {
    return Err(Code::kInvalidArgument, "erasure: bad data/parity shard counts");
  }
  CodecCache& cache = Cache();
  std::lock_guard lock(cache.mu);
  auto& slot = cache.codecs[{data_shards, parity_shards}];
  if (!slot) slot.reset(new ErasureCodec(data_shards, parity_shards));
  return slot;
}

size_t ErasureCodec::ShardSize(size_t block_bytes, int data_shards) {
  if (data_shards < 1) return 0;
  const size_t k = static_cast<size_t>(data_shards);
  return block_bytes / k + (block_bytes % k != 0 ? 1 : 0);
}

Status ErasureCodec::check_shards(std::span<const std::span<uint8_t>> shards) const {
  if (shards.size() != static_cast<size_t>(k_ + m_)) {
    return Status(Code::kInvalidArgument, "erasure: shard count != k + m");
  }
  const size_t size = shards[0].size();
  if (size > static_cast<size_t>(INT_MAX)) {
    return Status(Code::kInvalidArgument, "erasure: shard too large");
  }
  for (const auto& s : shards) {
    if (s.size() != size) return Status(Code::kInvalidArgument, "erasure: unequal shard sizes");
    if (size > 0 && s.data() == nullptr) {
      return Status(Code::kInvalidArgument, "erasure: null shard");
    }
  }
  return Status::Ok();
}

namespace {

std::atomic<uint64_t> g_encode_ns{0}, g_encode_bytes{0}, g_encode_calls{0};
std::atomic<uint64_t> g_decode_ns{0}, g_decode_bytes{0}, g_decode_calls{0};

uint64_t NowNs() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000ull + static_cast<uint64_t>(ts.tv_nsec);
}

// Adds one call's elapsed time and bytes to a pair of totals when it goes out of scope.
struct CodecTimer {
  std::atomic<uint64_t>& ns;
  std::atomic<uint64_t>& bytes;
  std::atomic<uint64_t>& calls;
  uint64_t amount;
  uint64_t start = NowNs();
  ~CodecTimer() {
    ns.fetch_add(NowNs() - start, std::memory_order_relaxed);
    bytes.fetch_add(amount, std::memory_order_relaxed);
    calls.fetch_add(1, std::memory_order_relaxed);
  }
};

}  // namespace

CodecTotals ReadCodecTotals() {
  CodecTotals t;
  t.encode_ns = g_encode_ns.load(std::memory_order_relaxed);
  t.encode_bytes = g_encode_bytes.load(std::memory_order_relaxed);
  t.encode_calls = g_encode_calls.load(std::memory_order_relaxed);
  t.decode_ns = g_decode_ns.load(std::memory_order_relaxed);
  t.decode_bytes = g_decode_bytes.load(std::memory_order_relaxed);
  t.decode_calls = g_decode_calls.load(std::memory_order_relaxed);
  return t;
}

Status ErasureCodec::encode(std::span<const std::span<uint8_t>> shards) const {
  FS_RETURN_IF_ERROR(check_shards(shards));
  const size_t size = shards[0].size();
  if (m_ == 0 || size == 0) return Status::Ok();
  CodecTimer timer{g_encode_ns, g_encode_bytes, g_encode_calls, size * static_cast<size_t>(k_)};
  std::array<uint8_t*, kMaxRows> ptrs{};
  for (int i = 0; i < k_ + m_; ++i)
    ptrs[static_cast<size_t>(i)] = shards[static_cast<size_t>(i)].data();
  // ISA-L takes non-const tables; it only reads them.
  ec_encode_data(static_cast<int>(size), k_, m_, const_cast<uint8_t*>(encode_tables_.data()),
                 ptrs.data(), ptrs.data() + k_);
  return Status::Ok();
}

Status ErasureCodec::reconstruct(std::span<const std::span<uint8_t>> shards,
                                 std::span<const bool> present) const {
  return rebuild(shards, present, /*parity_too=*/true);
}

Status ErasureCodec::reconstruct_data(std::span<const std::span<uint8_t>> shards,
                                      std::span<const bool> present) const {
  return rebuild(shards, present, /*parity_too=*/false);
}

// Picks the first k present rows S of the encode matrix E, inverts E[S] into D (so
// data = D * shards[S]); a missing data row r is then row r of D and a missing parity row r
// is E[r] * D. One ec_encode_data pass over the k sources writes every missing shard.
Status ErasureCodec::rebuild(std::span<const std::span<uint8_t>> shards,
                             std::span<const bool> present, bool parity_too) const {
  FS_RETURN_IF_ERROR(check_shards(shards));
  CodecTimer timer{g_decode_ns, g_decode_bytes, g_decode_calls,
                   shards[0].size() * static_cast<size_t>(k_)};
  if (present.size() != shards.size()) {
    return Status(Code::kInvalidArgument, "erasure: present.size() != shard count");
  }
  const size_t k = static_cast<size_t>(k_);
  const size_t n = shards.size();
  std::array<size_t, kMaxRows> src{};
  std::array<size_t, kMaxRows> out{};
  size_t nsrc = 0, nout = 0, npresent = 0;
  for (size_t i = 0; i < n; ++i) {
    if (present[i]) {
      ++npresent;
      if (nsrc < k) src[nsrc++] = i;
    } else if (i < k || parity_too) {
      out[nout++] = i;
    }
  }
  if (npresent < k) return Status(Code::kReadQuorum, "erasure: fewer than k shards present");
  const size_t size = shards[0].size();
  if (nout == 0 || size == 0) return Status::Ok();

  Matrix sub{}, inv{}, decode{};
  for (size_t r = 0; r < k; ++r) {
    std::memcpy(&sub[r * k], &encode_matrix_[src[r] * k], k);
  }
  if (gf_invert_matrix(sub.data(), inv.data(), k_) != 0) {
    return Status(Code::kInternal, "erasure: singular decode matrix");
  }
  for (size_t o = 0; o < nout; ++o) {
    const size_t row = out[o];
    uint8_t* dst = &decode[o * k];
    if (row < k) {
      std::memcpy(dst, &inv[row * k], k);
      continue;
    }
    const uint8_t* enc = &encode_matrix_[row * k];
    for (size_t j = 0; j < k; ++j) {
      uint8_t acc = 0;
      for (size_t i = 0; i < k; ++i) acc ^= gf_mul(enc[i], inv[i * k + j]);
      dst[j] = acc;
    }
  }
  Tables tables;
  ec_init_tables(k_, static_cast<int>(nout), decode.data(), tables.data());
  std::array<uint8_t*, kMaxRows> src_ptrs{}, out_ptrs{};
  for (size_t i = 0; i < k; ++i) src_ptrs[i] = shards[src[i]].data();
  for (size_t o = 0; o < nout; ++o) out_ptrs[o] = shards[out[o]].data();
  ec_encode_data(static_cast<int>(size), k_, static_cast<int>(nout), tables.data(), src_ptrs.data(),
                 out_ptrs.data());
  return Status::Ok();
}

namespace {

// Both directions need k data shards, each exactly ShardSize(block, k) bytes.
Result<size_t> CheckBlockShards(size_t block_bytes,
                                std::span<const std::span<uint8_t>> data_shards) {
  if (data_shards.empty() || data_shards.size() > kMaxRows) {
    return Err(Code::kInvalidArgument, "erasure: bad data shard count");
  }
  const size_t shard = ErasureCodec::ShardSize(block_bytes, static_cast<int>(data_shards.size()));
  for (const auto& s : data_shards) {
    if (s.size() != shard) return Err(Code::kInvalidArgument, "erasure: bad shard size");
  }
  return shard;
}

}  // namespace

Status SplitBlock(std::span<const uint8_t> block, std::span<const std::span<uint8_t>> data_shards) {
  Result<size_t> checked = CheckBlockShards(block.size(), data_shards);
  if (!checked) return checked.error();
  const size_t shard = *checked;
  size_t off = 0;
  for (const auto& s : data_shards) {
    const size_t take = std::min(shard, block.size() - off);
    if (take > 0) std::memcpy(s.data(), block.data() + off, take);
    if (take < shard) std::memset(s.data() + take, 0, shard - take);
    off += take;
  }
  return Status::Ok();
}

Status JoinBlock(std::span<const std::span<uint8_t>> data_shards, std::span<uint8_t> block) {
  Result<size_t> checked = CheckBlockShards(block.size(), data_shards);
  if (!checked) return checked.error();
  const size_t shard = *checked;
  size_t off = 0;
  for (const auto& s : data_shards) {
    const size_t take = std::min(shard, block.size() - off);
    if (take == 0) break;
    std::memcpy(block.data() + off, s.data(), take);
    off += take;
  }
  return Status::Ok();
}

}  // namespace flashstor::erasure
