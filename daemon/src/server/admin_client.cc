// AdminRequest: a small signed HTTP/1.1 client for the admin API (admin heal, admin kms).
#include "flashstor/server/admin_client.h"

#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <ctime>

namespace flashstor::server {
namespace {

int Connect(const AdminEndpoint& ep) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (getaddrinfo(ep.name.c_str(), ep.port.c_str(), &hints, &res) != 0) return -1;
  int fd = -1;
  for (addrinfo* a = res; a != nullptr && fd < 0; a = a->ai_next) {
    fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd >= 0 && ::connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
      ::close(fd);
      fd = -1;
    }
  }
  freeaddrinfo(res);
  return fd;
}

}  // namespace

std::optional<AdminEndpoint> ParseAdminEndpoint(std::string_view url) {
  if (!url.starts_with("http://")) return std::nullopt;
  std::string_view rest = url.substr(7);
  if (size_t slash = rest.find('/'); slash != std::string_view::npos) rest = rest.substr(0, slash);
  size_t colon = rest.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return std::nullopt;
  return AdminEndpoint{std::string(rest), std::string(rest.substr(0, colon)),
                       std::string(rest.substr(colon + 1))};
}

std::string DefaultAdminEndpoint() {
  const char* env = std::getenv("FLASHSTOR_ENDPOINT");
  return env != nullptr ? env : "http://127.0.0.1:9000";
}

std::pair<int, std::string> AdminRequest(const AdminEndpoint& ep, auth::RequestSigner& signer,
                                         std::string_view method, std::string_view path,
                                         std::span<const auth::HeaderPair> query) {
  auth::SignInput in;
  in.method = method;
  in.path = path;
  in.query = query;
  in.host = ep.host;
  in.payload_hash = "UNSIGNED-PAYLOAD";
  Result<auth::SignedRequest> signed_req = signer.sign(in, std::time(nullptr));
  if (!signed_req) return {0, "cannot sign the request"};
  std::string req =
      std::string(method) + " " + signed_req->target + " HTTP/1.1\r\nHost: " + ep.host +
      "\r\nx-amz-date: " + signed_req->amz_date +
      "\r\nx-amz-content-sha256: UNSIGNED-PAYLOAD\r\nAuthorization: " + signed_req->authorization +
      "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
  int fd = Connect(ep);
  if (fd < 0) return {0, "cannot connect to " + ep.host};
  std::string resp;
  bool ok = ::send(fd, req.data(), req.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(req.size());
  char buf[16384];
  ssize_t n;
  while (ok && (n = ::recv(fd, buf, sizeof(buf), 0)) > 0 && resp.size() < (16u << 20)) {
    resp.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  size_t sp = resp.find(' ');
  size_t body = resp.find("\r\n\r\n");
  if (!ok || sp == std::string::npos || body == std::string::npos) return {0, "no response"};
  return {std::atoi(resp.c_str() + sp + 1), resp.substr(body + 4)};
}

}  // namespace flashstor::server
