// The admin commands' HTTP/1.1 client: one request to a running server's admin API, signed
// (SigV4) with the root credentials from the environment.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "flashstor/auth/request_signer.h"

namespace flashstor::server {

struct AdminEndpoint {
  std::string host;  // as sent in Host
  std::string name, port;
};

// http://HOST:PORT[/...] (the admin commands speak plain HTTP); nullopt otherwise.
std::optional<AdminEndpoint> ParseAdminEndpoint(std::string_view url);
// $FLASHSTOR_ENDPOINT, else http://127.0.0.1:9000.
std::string DefaultAdminEndpoint();
// Sends one signed request without a body and returns {status, body}; status 0 on a
// transport failure (body then says what failed).
std::pair<int, std::string> AdminRequest(const AdminEndpoint& ep, auth::RequestSigner& signer,
                                         std::string_view method, std::string_view path,
                                         std::span<const auth::HeaderPair> query);

}  // namespace flashstor::server
