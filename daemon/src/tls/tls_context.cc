// TlsContext: builds SSL_CTXs from the certificate directory, selects one per SNI name and
// swaps snapshots on reload.
#include "flashstor/tls/tls_context.h"

#include <dirent.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <strings.h>
#include <sys/stat.h>

#include <algorithm>
#include <string_view>
#include <utility>
#include <vector>

#include "tls_cert_set.h"

namespace flashstor::tls {
namespace {

constexpr char kTls12Ciphers[] =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";
constexpr char kTls13Suites[] =
    "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256";
constexpr char kGroups[] = "X25519:P-256:P-384";
constexpr size_t kMaxHosts = 1024;
constexpr size_t kMaxHostName = 253;

bool IsHostName(std::string_view name) {
  if (name.empty() || name.size() > kMaxHostName || name[0] == '.' || name[0] == '-') {
    return false;
  }
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '-';
  });
}

bool IsRegularFile(const std::string& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

int ServerNameCallback(SSL* ssl, int* /*alert*/, void* arg) {
  const auto* set = static_cast<const TlsCertSet*>(arg);
  const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
  if (name == nullptr || set == nullptr) return SSL_TLSEXT_ERR_OK;
  SSL_CTX* ctx = set->find(name);
  // SSL_set_SSL_CTX swaps the certificate/key; protocol options stay those of the SSL, which
  // every context sets identically.
  if (ctx != nullptr && SSL_set_SSL_CTX(ssl, ctx) == nullptr) {
    return SSL_TLSEXT_ERR_ALERT_FATAL;
  }
  return SSL_TLSEXT_ERR_OK;  // unknown names get the default certificate
}

// ALPN (RFC 7301): the server's preference order, in wire format (length-prefixed names).
constexpr unsigned char kAlpnH2[] = "\x02h2\x08http/1.1";
constexpr unsigned char kAlpnHttp11[] = "\x08http/1.1";

// Picks the first of the server's protocols the client offers; a client offering none of
// them goes on without ALPN (and speaks HTTP/1.1).
int SelectAlpn(SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in,
               unsigned int inlen, void* arg) {
  const bool h2 = arg != nullptr;
  const unsigned char* server = h2 ? kAlpnH2 : kAlpnHttp11;
  const unsigned int server_len = h2 ? sizeof(kAlpnH2) - 1 : sizeof(kAlpnHttp11) - 1;
  unsigned char* chosen = nullptr;
  if (SSL_select_next_proto(&chosen, outlen, server, server_len, in, inlen) !=
      OPENSSL_NPN_NEGOTIATED) {
    return SSL_TLSEXT_ERR_NOACK;
  }
  *out = chosen;
  return SSL_TLSEXT_ERR_OK;
}

bool ApplyPolicy(SSL_CTX* ctx, bool http2) {
  // Every context (SNI ones too) selects the protocol: OpenSSL asks the one in use.
  SSL_CTX_set_alpn_select_cb(ctx, SelectAlpn, http2 ? ctx : nullptr);
  if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1) return false;
  if (SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION) != 1) return false;
  if (SSL_CTX_set_cipher_list(ctx, kTls12Ciphers) != 1) return false;
  if (SSL_CTX_set_ciphersuites(ctx, kTls13Suites) != 1) return false;
  if (SSL_CTX_set1_groups_list(ctx, kGroups) != 1) return false;
  // OpenSSL 3 refuses client-initiated renegotiation unless ALLOW_CLIENT_RENEGOTIATION is
  // set; NO_RENEGOTIATION also refuses it in every other form.
  SSL_CTX_clear_options(ctx, SSL_OP_ALLOW_CLIENT_RENEGOTIATION);
  SSL_CTX_set_options(ctx, SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_COMPRESSION |
                               SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_TICKET);
  SSL_CTX_set_num_tickets(ctx, 0);
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                            SSL_MODE_RELEASE_BUFFERS);
  return true;
}

Result<SslCtxPtr> NewServerCtx(const std::string& dir, bool http2) {
  const std::string crt = dir + "/public.crt";
  const std::string key = dir + "/private.key";
  if (!IsRegularFile(crt) || !IsRegularFile(key)) {
    return Err(Code::kNotFound, "tls: public.crt or private.key missing");
  }
  SslCtxPtr ctx(SSL_CTX_new(TLS_server_method()));
  if (!ctx || !ApplyPolicy(ctx.get(), http2)) {
    ERR_clear_error();
    return Err(Code::kInternal, "tls: cannot create SSL_CTX");
  }
  if (SSL_CTX_use_certificate_chain_file(ctx.get(), crt.c_str()) != 1) {
    ERR_clear_error();
    return Err(Code::kInvalidArgument, "tls: cannot load public.crt");
  }
  if (SSL_CTX_use_PrivateKey_file(ctx.get(), key.c_str(), SSL_FILETYPE_PEM) != 1) {
    ERR_clear_error();
    return Err(Code::kInvalidArgument, "tls: cannot load private.key");
  }
  if (SSL_CTX_check_private_key(ctx.get()) != 1) {
    ERR_clear_error();
    return Err(Code::kInvalidArgument, "tls: private.key does not match public.crt");
  }
  return ctx;
}

// Host folders: every sub-directory named like a host name with both files.
Result<std::vector<std::pair<std::string, SslCtxPtr>>> LoadHosts(const std::string& dir,
                                                                 bool http2) {
  std::vector<std::pair<std::string, SslCtxPtr>> hosts;
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return std::unexpected(StatusFromErrno(errno, "tls: open certs dir"));
  Status status;
  while (const dirent* e = readdir(d)) {
    const std::string_view name = e->d_name;
    if (!IsHostName(name) || strcasecmp(e->d_name, "CAs") == 0) continue;
    const std::string sub = dir + "/" + e->d_name;
    struct stat st {};
    if (stat(sub.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) continue;
    auto ctx = NewServerCtx(sub, http2);
    if (!ctx && ctx.error() == Code::kNotFound) continue;  // not a certificate folder
    if (!ctx) {
      status = ctx.error();
      break;
    }
    if (hosts.size() == kMaxHosts) {
      status = Status(Code::kTooLarge, "tls: too many host certificates");
      break;
    }
    std::string lower(name);
    for (char& c : lower) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    hosts.emplace_back(std::move(lower), std::move(*ctx));
  }
  closedir(d);
  if (!status.ok()) return std::unexpected(status);
  std::sort(hosts.begin(), hosts.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  return hosts;
}

Result<std::shared_ptr<const TlsCertSet>> LoadCertSet(const std::string& dir, bool http2) {
  auto set = std::make_shared<TlsCertSet>();
  auto def = NewServerCtx(dir, http2);
  if (!def) return std::unexpected(def.error());
  set->default_ctx = std::move(*def);
  auto hosts = LoadHosts(dir, http2);
  if (!hosts) return std::unexpected(hosts.error());
  set->hosts = std::move(*hosts);
  // The callback's argument is the set itself: each connection holds a shared_ptr to it.
  SSL_CTX_set_tlsext_servername_callback(set->default_ctx.get(), ServerNameCallback);
  SSL_CTX_set_tlsext_servername_arg(set->default_ctx.get(), set.get());
  return std::shared_ptr<const TlsCertSet>(std::move(set));
}

}  // namespace

SSL_CTX* TlsCertSet::find(std::string_view name) const {
  if (name.size() > kMaxHostName) return nullptr;
  char buf[kMaxHostName];
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    buf[i] = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  }
  const std::string_view lower(buf, name.size());
  auto it = std::lower_bound(hosts.begin(), hosts.end(), lower,
                             [](const auto& h, std::string_view n) { return h.first < n; });
  return it != hosts.end() && it->first == lower ? it->second.get() : nullptr;
}

Result<std::unique_ptr<TlsContext>> TlsContext::Load(std::string certs_dir, bool http2) {
  std::unique_ptr<TlsContext> ctx(new TlsContext(std::move(certs_dir), http2));
  if (Status st = ctx->Reload(); !st.ok()) return std::unexpected(st);
  return ctx;
}

TlsContext::~TlsContext() = default;

Status TlsContext::Reload() {
  auto set = LoadCertSet(certs_dir_, http2_);
  if (!set) return set.error();
  std::lock_guard<std::mutex> lock(mu_);
  current_ = std::move(*set);  // the old set lives on in the connections that hold it
  return Status::Ok();
}

Result<TlsConnection> TlsContext::accept(int fd) const {
  std::shared_ptr<const TlsCertSet> set;
  {
    std::lock_guard<std::mutex> lock(mu_);
    set = current_;
  }
  if (!set) return Err(Code::kUnavailable, "tls: no certificates loaded");
  SSL* ssl = SSL_new(set->default_ctx.get());
  if (ssl == nullptr || SSL_set_fd(ssl, fd) != 1) {
    SSL_free(ssl);
    ERR_clear_error();
    return Err(Code::kInternal, "tls: SSL_new failed");
  }
  SSL_set_accept_state(ssl);
  return TlsConnection(ssl, fd, std::move(set));
}

std::string TlsContext::host_names() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::string out;
  if (!current_) return out;
  for (const auto& h : current_->hosts) {
    if (!out.empty()) out.push_back(',');
    out.append(h.first);
  }
  return out;
}

}  // namespace flashstor::tls
