// Loop endpoints: /health/live, /health/ready and /metrics answered by the event loop itself,
// so probes and scrapes work while every request worker is taken (by slow clients or a stuck
// disk). Everything they do is in memory: health marks, the metrics registry, SigV4 HMACs.
#pragma once

#include <string>

#include "flashstor/auth/sigv4.h"
#include "flashstor/net/http_server.h"
#include "flashstor/obs/health.h"

namespace flashstor::server {

// GET and HEAD of those three paths; other methods go to the workers (AdminHandler answers
// 405). /metrics verifies the signature on the loop unless metrics are public; with a
// metrics_token, "Authorization: Bearer <token>" is accepted too (401 without credentials,
// 403 for a wrong token). The objects referred to must outlive the server.
net::HttpServer::LoopResponder MakeLoopEndpoints(const obs::Health& health,
                                                 const auth::SigV4Verifier& verifier,
                                                 bool metrics_public,
                                                 std::string metrics_token = {});

}  // namespace flashstor::server
