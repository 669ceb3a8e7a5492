// Continuation tokens of ListObjectsV2 and ListBuckets: opaque to clients, they carry the
// last key or bucket name a page returned (base64), and the next page starts after it.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace flashstor::s3 {

std::string EncodeListToken(std::string_view marker);
// The marker a token carries; nullopt when the token is not one we issued in shape (not
// canonical base64, empty, or its marker longer than max_marker bytes).
std::optional<std::string> DecodeListToken(std::string_view token, size_t max_marker);

}  // namespace flashstor::s3
