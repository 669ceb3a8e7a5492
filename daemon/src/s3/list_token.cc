// Continuation tokens: base64 of the marker, decoded strictly.
#include "list_token.h"

#include <span>

#include "flashstor/hash/hashing_source.h"

namespace flashstor::s3 {

std::string EncodeListToken(std::string_view marker) {
  return hash::Base64Encode(std::span<const unsigned char>(
      reinterpret_cast<const unsigned char*>(marker.data()), marker.size()));
}

std::optional<std::string> DecodeListToken(std::string_view token, size_t max_marker) {
  // Base64 grows 3 bytes into 4: refuse before decoding anything longer than it could be.
  if (token.empty() || token.size() > (max_marker + 2) / 3 * 4) return std::nullopt;
  std::optional<std::string> marker = hash::Base64Decode(token);
  if (!marker || marker->empty() || marker->size() > max_marker) return std::nullopt;
  return marker;
}

}  // namespace flashstor::s3
