// Hex and base64 text encodings of digests (ETags, S3 checksum headers) over OpenSSL's
// EVP_EncodeBlock/EVP_DecodeBlock, with strict validation of base64 input.
#include "flashstor/hash/hashing_source.h"

#include <openssl/evp.h>

#include <algorithm>
#include <string>

namespace flashstor::hash {
namespace {

// EVP_{En,De}codeBlock take int lengths: work in chunks of whole 3-byte / 4-char groups.
constexpr size_t kEncodeChunk = size_t{3} << 20;
constexpr size_t kDecodeChunk = size_t{4} << 20;

bool IsBase64Char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
         c == '/';
}

}  // namespace

std::string HexEncode(std::span<const unsigned char> bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(bytes.size() * 2, '\0');
  for (size_t i = 0; i < bytes.size(); ++i) {
    out[2 * i] = kDigits[bytes[i] >> 4];
    out[2 * i + 1] = kDigits[bytes[i] & 0x0f];
  }
  return out;
}

std::string Base64Encode(std::span<const unsigned char> bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4 + 1);
  std::string buf((std::min(bytes.size(), kEncodeChunk) + 2) / 3 * 4 + 1, '\0');
  while (!bytes.empty()) {
    const size_t n = std::min(bytes.size(), kEncodeChunk);
    const int written = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(buf.data()), bytes.data(),
                                        static_cast<int>(n));
    out.append(buf.data(), static_cast<size_t>(written));
    bytes = bytes.subspan(n);
  }
  return out;
}

std::optional<std::string> Base64Decode(std::string_view b64) {
  if (b64.size() % 4 != 0) return std::nullopt;
  size_t pad = 0;
  while (pad < b64.size() && b64[b64.size() - 1 - pad] == '=') ++pad;
  if (pad > 2) return std::nullopt;
  for (size_t i = 0; i < b64.size() - pad; ++i) {
    if (!IsBase64Char(b64[i])) return std::nullopt;
  }
  std::string out;
  out.reserve(b64.size() / 4 * 3);
  std::string buf(std::min(b64.size(), kDecodeChunk) / 4 * 3, '\0');
  std::string_view rest = b64;
  while (!rest.empty()) {
    const size_t n = std::min(rest.size(), kDecodeChunk);
    const int got =
        EVP_DecodeBlock(reinterpret_cast<unsigned char*>(buf.data()),
                        reinterpret_cast<const unsigned char*>(rest.data()), static_cast<int>(n));
    if (got < 0 || static_cast<size_t>(got) != n / 4 * 3) return std::nullopt;
    out.append(buf.data(), static_cast<size_t>(got));
    rest.remove_prefix(n);
  }
  // EVP_DecodeBlock counts padding as zero bytes.
  out.resize(out.size() - pad);
  // Reject non-zero unused bits ("QR==" for "QQ=="): only the canonical spelling of a value
  // is accepted, so a digest has exactly one valid header value.
  const auto* p = reinterpret_cast<const unsigned char*>(out.data());
  if (Base64Encode({p, out.size()}) != b64) return std::nullopt;
  return out;
}

}  // namespace flashstor::hash
