// CheckBearerToken: the Authorization header's Bearer credential against the configured token
// with CRYPTO_memcmp (lengths compared first; the token's length is not secret).
#include "flashstor/server/metrics_token.h"

#include <openssl/crypto.h>

namespace flashstor::server {

BearerCheck CheckBearerToken(const http::Request& req, std::string_view expected) {
  if (expected.empty()) return BearerCheck::kAbsent;
  std::string_view auth = req.header("authorization");
  constexpr std::string_view kScheme = "Bearer ";
  if (auth.size() < kScheme.size()) return BearerCheck::kAbsent;
  for (size_t i = 0; i < kScheme.size(); ++i) {
    char c = auth[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    char k = kScheme[i];
    if (k >= 'A' && k <= 'Z') k = static_cast<char>(k - 'A' + 'a');
    if (c != k) return BearerCheck::kAbsent;
  }
  std::string_view token = auth.substr(kScheme.size());
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
  if (token.size() != expected.size() ||
      CRYPTO_memcmp(token.data(), expected.data(), expected.size()) != 0) {
    return BearerCheck::kInvalid;
  }
  return BearerCheck::kValid;
}

}  // namespace flashstor::server
