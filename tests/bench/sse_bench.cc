// sse_bench: AES-256-GCM throughput of the encrypted-object format on one core, without I/O:
// sealing and opening 64 KiB packages (sse_package.h, OpenSSL EVP with AES-NI where present).
// Compare with isal_bench's RS encode: both sit on the PUT path of an SSE object.
// Usage: sse_bench [--seconds S] [--json]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "flashstor/s3/sse_package.h"

namespace {

using Clock = std::chrono::steady_clock;
namespace sse = flashstor::s3::sse;

template <typename Step>
double Measure(double seconds, size_t bytes, Step step) {
  step();  // warm-up
  const auto start = Clock::now();
  const auto until = start + std::chrono::duration<double>(seconds);
  uint64_t done = 0;
  Clock::time_point now;
  do {
    step();
    done += bytes;
    now = Clock::now();
  } while (now < until);
  return static_cast<double>(done) / (1024.0 * 1024.0) /
         std::chrono::duration<double>(now - start).count();
}

}  // namespace

int main(int argc, char** argv) {
  double seconds = 1.0;
  bool json = false;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == "--json") {
      json = true;
    } else if (a == "--seconds" && i + 1 < argc) {
      seconds = std::strtod(argv[++i], nullptr);
      if (!(seconds > 0 && seconds <= 60)) {
        std::fprintf(stderr, "sse_bench: --seconds must be in (0, 60]\n");
        return 2;
      }
    } else {
      std::fprintf(stderr, "usage: sse_bench [--seconds S] [--json]\n");
      return 2;
    }
  }
  sse::Key key{};
  if (!sse::RandomBytes(key).ok()) return 1;
  sse::PackageContext ctx{"bench", "object", {}, 1};
  std::vector<unsigned char> plain(sse::kPackagePlain, 0x5a), cipher(sse::kPackageCipher),
      back(sse::kPackagePlain);
  uint64_t seq = 0;
  bool ok = true;
  const double seal = Measure(seconds, sse::kPackagePlain, [&] {
    ok &= sse::SealPackage(key, ctx, seq++, false, plain, cipher).ok();
  });
  if (!sse::SealPackage(key, ctx, 7, false, plain, cipher).ok()) return 1;
  const double open = Measure(seconds, sse::kPackagePlain, [&] {
    ok &= sse::OpenPackage(key, ctx, 7, false, cipher, back).ok();
  });
  if (!ok) {
    std::fprintf(stderr, "sse_bench: a package failed to seal or open\n");
    return 1;
  }
  if (json) {
    std::printf("{\"seconds\":%g,\"aes_gcm_seal_mib_s\":%.1f,\"aes_gcm_open_mib_s\":%.1f}\n",
                seconds, seal, open);
  } else {
    std::printf("aes_gcm_seal %10.1f MiB/s  AES-256-GCM seal of 64 KiB packages, one core\n", seal);
    std::printf("aes_gcm_open %10.1f MiB/s  AES-256-GCM open of 64 KiB packages, one core\n", open);
  }
  return 0;
}
