// The /metrics bearer token (metrics_access "token"): Prometheus cannot sign SigV4, so a
// scrape may carry "Authorization: Bearer <token>", compared in constant time.
#pragma once

#include <string_view>

#include "flashstor/http/request.h"

namespace flashstor::server {

enum class BearerCheck { kAbsent, kValid, kInvalid };

// kAbsent when the request has no Bearer Authorization (or expected is empty), kValid when it
// carries exactly `expected`, kInvalid otherwise. Never logs either value.
BearerCheck CheckBearerToken(const http::Request& req, std::string_view expected);

}  // namespace flashstor::server
