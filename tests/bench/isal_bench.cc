// isal_bench: raw throughput of the data-integrity core on one core, without I/O: Reed-Solomon
// encode and reconstruct (ErasureCodec over ISA-L), bitrot digests, MD5 and S3 checksums.
// Usage: isal_bench [--k K] [--m M] [--block BYTES] [--seconds S] [--json]
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "flashstor/erasure/bitrot.h"
#include "flashstor/erasure/codec.h"
#include "flashstor/hash/hashing_source.h"

namespace {

using Clock = std::chrono::steady_clock;
namespace erasure = flashstor::erasure;
namespace hash = flashstor::hash;

constexpr size_t kMaxBlock = size_t{1} << 30;
constexpr double kMaxSeconds = 60;

struct Options {
  int k = 8;
  int m = 4;
  size_t block = size_t{1} << 20;
  double seconds = 1.0;
  bool json = false;
};

struct Figure {
  const char* name;  // JSON key, "<name>_mib_s"
  const char* what;
  double mib_s;
};

volatile uint64_t g_sink;  // keeps results observable so no loop is optimised away

bool ParseArgs(int argc, char** argv, Options& o) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (a == "--json") {
      o.json = true;
      continue;
    }
    if (i + 1 >= argc) return false;
    const char* v = argv[++i];
    char* end = nullptr;
    errno = 0;
    if (a == "--k" || a == "--m") {
      const long n = std::strtol(v, &end, 10);
      if (*end != '\0' || errno != 0 || n < 0 || n > erasure::kMaxTotalShards) return false;
      (a == "--k" ? o.k : o.m) = static_cast<int>(n);
    } else if (a == "--block") {
      const unsigned long long n = std::strtoull(v, &end, 10);
      if (*end != '\0' || errno != 0 || n == 0 || n > kMaxBlock) return false;
      o.block = static_cast<size_t>(n);
    } else if (a == "--seconds") {
      o.seconds = std::strtod(v, &end);
      if (*end != '\0' || errno != 0 || !(o.seconds > 0) || o.seconds > kMaxSeconds) return false;
    } else {
      return false;
    }
  }
  return true;
}

// Runs step (which processes `bytes` bytes) until `seconds` have passed; returns MiB/s.
template <typename Step>
double Measure(double seconds, size_t bytes, Step step) {
  step();  // warm-up: tables, page faults
  const auto start = Clock::now();
  const auto until = start + std::chrono::duration<double>(seconds);
  uint64_t done = 0;
  Clock::time_point now;
  do {
    step();
    done += bytes;
    now = Clock::now();
  } while (now < until);
  const double secs = std::chrono::duration<double>(now - start).count();
  return static_cast<double>(done) / (1024.0 * 1024.0) / secs;
}

// Serves the same buffer over and over until a deadline: a body for HashingSource.
class RepeatSource final : public flashstor::DataSource {
 public:
  RepeatSource(std::span<const char> data, Clock::time_point until) : data_(data), until_(until) {}
  flashstor::Result<size_t> read(std::span<char> out) override {
    if (Clock::now() >= until_) return 0;
    const size_t n = std::min(out.size(), data_.size());
    std::memcpy(out.data(), data_.data(), n);
    return n;
  }

 private:
  std::span<const char> data_;
  Clock::time_point until_;
};

double MeasureMd5(double seconds, std::span<const char> block) {
  std::vector<char> buf(block.size());
  const auto start = Clock::now();
  const auto until =
      start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  RepeatSource src(block, until);
  hash::HashingSource hs(src, {});
  for (;;) {
    auto n = hs.read(buf);
    if (!n || *n == 0) break;
  }
  const double secs = std::chrono::duration<double>(Clock::now() - start).count();
  g_sink = g_sink + hs.md5()[0];
  // The copy in RepeatSource is included: it is what a real body read costs too.
  return static_cast<double>(hs.bytes()) / (1024.0 * 1024.0) / secs;
}

std::vector<Figure> Run(const Options& o, const erasure::ErasureCodec& codec) {
  const size_t shard = erasure::ErasureCodec::ShardSize(o.block, o.k);
  const size_t n = static_cast<size_t>(o.k + o.m);
  std::vector<std::vector<uint8_t>> store(n, std::vector<uint8_t>(shard));
  std::vector<std::span<uint8_t>> shards(store.begin(), store.end());
  std::vector<uint8_t> block(o.block);
  std::mt19937 rng(1);
  for (auto& b : block) b = static_cast<uint8_t>(rng());
  if (!erasure::SplitBlock(block, std::span(shards).first(static_cast<size_t>(o.k))).ok()) {
    return {};
  }
  std::vector<Figure> figs;
  figs.push_back({"encode", "RS encode (data bytes)", Measure(o.seconds, o.block, [&] {
                    if (!codec.encode(shards).ok()) std::abort();
                  })});
  if (o.m > 0) {
    std::unique_ptr<bool[]> present(new bool[n]);
    for (size_t i = 0; i < n; ++i) present[i] = i != 0;
    const std::span<const bool> p(present.get(), n);
    figs.push_back({"reconstruct", "RS reconstruct, 1 data shard lost (data bytes)",
                    Measure(o.seconds, o.block, [&] {
                      if (!codec.reconstruct(shards, p).ok()) std::abort();
                    })});
  }
  figs.push_back(
      {"bitrot", "bitrot digest of every data+parity shard", Measure(o.seconds, shard * n, [&] {
         for (const auto& s : shards) g_sink = g_sink + erasure::BitrotHash(s)[0];
       })});
  const std::span<const char> chars(reinterpret_cast<const char*>(block.data()), block.size());
  figs.push_back({"md5", "MD5 via HashingSource (incl. copy)", MeasureMd5(o.seconds, chars)});
  const struct {
    const char* name;
    const char* what;
    hash::ChecksumAlgo algo;
  } sums[] = {{"crc32c", "S3 checksum CRC32C", hash::ChecksumAlgo::kCrc32c},
              {"crc64nvme", "S3 checksum CRC64NVME", hash::ChecksumAlgo::kCrc64Nvme},
              {"sha256", "S3 checksum SHA256", hash::ChecksumAlgo::kSha256}};
  for (const auto& s : sums) {
    hash::Checksum sum(s.algo);
    figs.push_back({s.name, s.what, Measure(o.seconds, o.block, [&] { sum.update(chars); })});
    g_sink = g_sink + sum.final_raw().size();
  }
  return figs;
}

void Print(const Options& o, const std::vector<Figure>& figs) {
  if (!o.json) {
    for (const auto& f : figs) {
      std::printf("%-12s %10.1f MiB/s  %s (k=%d m=%d block=%zu)\n", f.name, f.mib_s, f.what, o.k,
                  o.m, o.block);
    }
    return;
  }
  std::printf("{\"k\":%d,\"m\":%d,\"block\":%zu,\"seconds\":%g", o.k, o.m, o.block, o.seconds);
  for (const auto& f : figs) std::printf(",\"%s_mib_s\":%.1f", f.name, f.mib_s);
  std::printf("}\n");
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (!ParseArgs(argc, argv, o)) {
    std::fprintf(stderr,
                 "usage: isal_bench [--k K] [--m M] [--block BYTES] [--seconds S] [--json]\n"
                 "  1 <= K, 0 <= M, K + M <= %d; 0 < BYTES <= %zu; 0 < S <= %g\n",
                 erasure::kMaxTotalShards, kMaxBlock, kMaxSeconds);
    return 2;
  }
  auto codec = erasure::ErasureCodec::Create(o.k, o.m);
  if (!codec) {
    std::fprintf(stderr, "isal_bench: invalid --k/--m\n");
    return 2;
  }
  const std::vector<Figure> figs = Run(o, **codec);
  if (figs.empty()) {
    std::fprintf(stderr, "isal_bench: setup failed\n");
    return 1;
  }
  Print(o, figs);
  return 0;
}
