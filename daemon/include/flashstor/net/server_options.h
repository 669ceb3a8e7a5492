// Tunables of the HTTP server: loop and worker counts, deadlines, per-connection limits.
#pragma once

#include "flashstor/http/parser.h"

namespace flashstor::net {

struct ServerOptions {
  int event_loops = 0;  // 0: 2 x cores
  int workers = 0;      // request workers (blocking disk + body I/O); 0: max(16, 8 x cores)
  http::Limits limits;
  int header_timeout_ms = 10'000;  // first byte of a head to its end (anti-slowloris)
  int idle_timeout_ms = 60'000;    // keep-alive wait for the next request
  int io_timeout_ms = 60'000;      // inactivity while a worker streams a body or response
  int max_requests_per_connection = 1000;
  int max_connections = 20'000;
};

}  // namespace flashstor::net
