// UUID generation from the kernel's CSPRNG (never blocks after boot-time initialisation),
// and per-process unique temporary file names.
#include "flashstor/storage/uuid.h"

#include <sys/random.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdlib>

namespace flashstor::storage {

void FillRandom(std::span<uint8_t> out) {
  size_t got = 0;
  while (got < out.size()) {
    ssize_t n = getrandom(out.data() + got, out.size() - got, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      std::abort();  // no entropy source: nothing sane to fall back to
    }
    got += static_cast<size_t>(n);
  }
}

std::string NewUuid() {
  std::array<uint8_t, 16> b{};
  FillRandom(b);
  b[6] = static_cast<uint8_t>((b[6] & 0x0F) | 0x40);
  b[8] = static_cast<uint8_t>((b[8] & 0x3F) | 0x80);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  for (size_t i = 0; i < b.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    out.push_back(kHex[b[i] >> 4]);
    out.push_back(kHex[b[i] & 0xF]);
  }
  return out;
}

std::string NewTempName() {
  static const std::string prefix = NewUuid() + "-";
  static std::atomic<uint64_t> counter{0};
  return prefix + std::to_string(counter.fetch_add(1, std::memory_order_relaxed));
}

bool IsUuid(std::string_view s) {
  if (s.size() != 36) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return false;
    } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return false;
    }
  }
  return true;
}

}  // namespace flashstor::storage
