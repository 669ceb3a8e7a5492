// RunAdminHeal: a small signed HTTP/1.1 client for POST /flashstor/admin/heal.
#include "flashstor/server/admin_heal.h"

#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string_view>

#include "flashstor/auth/request_signer.h"
#include "flashstor/auth/sigv4.h"

namespace flashstor::server {
namespace {

struct Endpoint {
  std::string host;  // as sent in Host
  std::string name, port;
};

std::optional<Endpoint> ParseEndpoint(std::string_view url) {
  if (!url.starts_with("http://")) return std::nullopt;  // the admin CLI speaks plain HTTP
  std::string_view rest = url.substr(7);
  if (size_t slash = rest.find('/'); slash != std::string_view::npos) rest = rest.substr(0, slash);
  size_t colon = rest.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return std::nullopt;
  return Endpoint{std::string(rest), std::string(rest.substr(0, colon)),
                  std::string(rest.substr(colon + 1))};
}

int Connect(const Endpoint& ep) {
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

// Sends one signed POST and returns {status, body}; status 0 on a transport failure.
std::pair<int, std::string> Post(const Endpoint& ep, auth::RequestSigner& signer,
                                 std::span<const auth::HeaderPair> query) {
  auth::SignInput in;
  in.method = "POST";
  in.path = "/flashstor/admin/heal";
  in.query = query;
  in.host = ep.host;
  in.payload_hash = "UNSIGNED-PAYLOAD";
  Result<auth::SignedRequest> signed_req = signer.sign(in, std::time(nullptr));
  if (!signed_req) return {0, "cannot sign the request"};
  std::string req =
      "POST " + signed_req->target + " HTTP/1.1\r\nHost: " + ep.host +
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

}  // namespace

const char* AdminHealHelp() {
  return R"(Usage: flashstor admin heal [--endpoint http://HOST:PORT] (TARGET... | --all)

Asks a running server to verify and rebuild missing or corrupt shards. TARGET is BUCKET (every
object in it) or BUCKET/KEY (one object); --all heals every bucket. The endpoint defaults to
$FLASHSTOR_ENDPOINT or http://127.0.0.1:9000; the request is signed with the root credentials
in FLASHSTOR_ROOT_USER / FLASHSTOR_ROOT_PASSWORD. Prints one JSON line per target.
)";
}

int RunAdminHeal(const std::vector<std::string>& args) {
  const char* env_endpoint = std::getenv("FLASHSTOR_ENDPOINT");
  std::string endpoint = env_endpoint ? env_endpoint : "http://127.0.0.1:9000";
  std::vector<std::string> targets;
  bool all = false;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--help" || args[i] == "-h") {
      std::fputs(AdminHealHelp(), stdout);
      return 0;
    }
    if (args[i] == "--endpoint" && i + 1 < args.size()) {
      endpoint = args[++i];
    } else if (args[i] == "--all") {
      all = true;
    } else if (args[i].starts_with("-")) {
      std::fprintf(stderr, "flashstor admin heal: unknown flag %s\n", args[i].c_str());
      return 2;
    } else {
      targets.push_back(args[i]);
    }
  }
  std::optional<Endpoint> ep = ParseEndpoint(endpoint);
  const char* user = std::getenv("FLASHSTOR_ROOT_USER");
  const char* password = std::getenv("FLASHSTOR_ROOT_PASSWORD");
  if (!ep || (targets.empty() != all) || user == nullptr || password == nullptr) {
    std::fputs(AdminHealHelp(), stderr);
    return 2;
  }
  auth::RequestSigner signer(user, password);
  if (all) targets.push_back("");
  int failures = 0;
  for (const std::string& t : targets) {
    size_t slash = t.find('/');
    std::string bucket = t.substr(0, slash);
    std::string key = slash == std::string::npos ? "" : t.substr(slash + 1);
    std::vector<auth::HeaderPair> query;
    if (!bucket.empty()) query.emplace_back("bucket", bucket);
    if (!key.empty()) query.emplace_back("key", key);
    auto [status, body] = Post(*ep, signer, query);
    std::fputs(body.c_str(), stdout);
    if (body.empty() || body.back() != '\n') std::fputc('\n', stdout);
    if (status != 200) {
      std::fprintf(stderr, "flashstor admin heal: %s: HTTP %d\n", t.empty() ? "--all" : t.c_str(),
                   status);
      ++failures;
    }
  }
  return failures == 0 ? 0 : 1;
}

}  // namespace flashstor::server
