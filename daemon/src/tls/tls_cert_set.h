// TlsCertSet: one immutable snapshot of the certificate directory (private to flashstor_tls).
#pragma once

#include <openssl/ssl.h>

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace flashstor::tls {

struct SslCtxDeleter {
  void operator()(SSL_CTX* ctx) const { SSL_CTX_free(ctx); }
};
using SslCtxPtr = std::unique_ptr<SSL_CTX, SslCtxDeleter>;

struct TlsCertSet {
  SslCtxPtr default_ctx;                                 // SSL_new uses this; SNI callback on it
  std::vector<std::pair<std::string, SslCtxPtr>> hosts;  // lowercase name, sorted

  // The context for an SNI name (case-insensitive), or nullptr.
  SSL_CTX* find(std::string_view name) const;
};

}  // namespace flashstor::tls
