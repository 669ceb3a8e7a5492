// Test helpers for tls/: a throwaway CA and server certificates made with the openssl CLI,
// a socketpair, and a client SSL driven against the server-side TlsConnection.
#pragma once

#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "flashstor/tls/tls_connection.h"

namespace testpki {

inline std::string MakeTempDir() {
  char tmpl[] = "/tmp/flashstor-tls-XXXXXX";
  const char* dir = mkdtemp(tmpl);
  return dir == nullptr ? std::string() : std::string(dir);
}

inline bool Shell(const std::string& cmd) {
  return std::system(cmd.c_str()) == 0;
}

// ca.crt / ca.key in dir.
inline bool MakeCa(const std::string& dir) {
  return Shell("cd '" + dir +
               "' && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
               "-keyout ca.key -out ca.crt -days 2 -subj '/CN=Flashstor Test CA' "
               "-addext basicConstraints=critical,CA:TRUE -addext keyUsage=keyCertSign "
               ">/dev/null 2>&1");
}

// A P-256 leaf for cn (also its DNS SAN), signed by dir/ca.*, written to out_dir/public.crt and
// out_dir/private.key (out_dir is created).
inline bool IssueCert(const std::string& dir, const std::string& cn, const std::string& out_dir) {
  const std::string q = "'" + out_dir + "'";
  return Shell("mkdir -p " + q + " && cd '" + dir + "' && printf 'subjectAltName=DNS:" + cn +
               "\\n' > " + cn +
               ".ext && openssl req -new -newkey ec -pkeyopt "
               "ec_paramgen_curve:P-256 -nodes -keyout " +
               q + "/private.key -subj '/CN=" + cn + "' -out " + cn +
               ".csr >/dev/null 2>&1 && openssl x509 -req -in " + cn +
               ".csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 -extfile " + cn +
               ".ext -out " + q + "/public.crt >/dev/null 2>&1");
}

inline void RemoveDir(const std::string& dir) {
  if (!dir.empty()) (void)Shell("rm -rf '" + dir + "'");
}

struct SocketPair {
  int server = -1;
  int client = -1;
  bool open(bool nonblocking_client = true) {
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) return false;
    server = sv[0];
    client = sv[1];
    fcntl(server, F_SETFL, O_NONBLOCK);
    if (nonblocking_client) fcntl(client, F_SETFL, O_NONBLOCK);
    return true;
  }
  ~SocketPair() {
    if (server >= 0) close(server);
    if (client >= 0) close(client);
  }
};

// A verifying client context trusting dir/ca.crt, limited to [min_version, max_version].
inline SSL_CTX* ClientCtx(const std::string& dir, int min_version, int max_version) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  if (ctx == nullptr) return nullptr;
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  if (SSL_CTX_load_verify_locations(ctx, (dir + "/ca.crt").c_str(), nullptr) != 1) {
    SSL_CTX_free(ctx);
    return nullptr;
  }
  if (min_version < TLS1_2_VERSION) {
    // Debian's default policy (SECLEVEL=2, MinProtocol TLSv1.2) would stop the client from
    // even offering old versions; lower it so the server's refusal is what is tested.
    SSL_CTX_set_security_level(ctx, 0);
    SSL_CTX_set_cipher_list(ctx, "ALL:@SECLEVEL=0");
  }
  SSL_CTX_set_min_proto_version(ctx, min_version);
  SSL_CTX_set_max_proto_version(ctx, max_version);
  return ctx;
}

// A client SSL on fd asking for sni (and verifying the certificate names it).
inline SSL* ClientSsl(SSL_CTX* ctx, int fd, const std::string& sni) {
  SSL* ssl = SSL_new(ctx);
  SSL_set_fd(ssl, fd);
  SSL_set_connect_state(ssl);
  if (!sni.empty()) {
    SSL_set_tlsext_host_name(ssl, sni.c_str());
    SSL_set1_host(ssl, sni.c_str());
  }
  return ssl;
}

enum class HandshakeResult { kOk, kServerFailed, kClientFailed };

// Alternates the two non-blocking sides until both finish or one fails.
inline HandshakeResult DriveHandshake(flashstor::tls::TlsConnection& server, SSL* client) {
  using flashstor::tls::TlsIoStatus;
  bool server_done = false, client_done = false;
  for (int i = 0; i < 1000 && !(server_done && client_done); ++i) {
    if (!server_done) {
      const auto io = server.handshake();
      if (io.status == TlsIoStatus::kOk) server_done = true;
      if (io.status == TlsIoStatus::kError || io.status == TlsIoStatus::kClosed) {
        return HandshakeResult::kServerFailed;
      }
    }
    if (!client_done) {
      const int r = SSL_do_handshake(client);
      if (r == 1) {
        client_done = true;
      } else {
        const int err = SSL_get_error(client, r);
        if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE) {
          ERR_clear_error();
          return HandshakeResult::kClientFailed;
        }
      }
    }
  }
  return server_done && client_done ? HandshakeResult::kOk : HandshakeResult::kClientFailed;
}

// CN of the certificate the server presented.
inline std::string PeerCn(SSL* client) {
  X509* cert = SSL_get0_peer_certificate(client);
  if (cert == nullptr) return "";
  char cn[256] = {0};
  X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn, sizeof(cn));
  return cn;
}

}  // namespace testpki
