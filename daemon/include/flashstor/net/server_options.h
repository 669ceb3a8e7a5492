// Tunables of the HTTP server: loop and worker counts, deadlines, per-connection limits.
#pragma once

#include <cstdint>

#include "flashstor/http/parser.h"

namespace flashstor::net {

// Requests in flight by default: each holds its stack's touched pages and its connection's
// arena blocks (~64 KiB at most), the large buffers are bounded by the budget below.
inline constexpr int kDefaultWorkers = 2048;
// The request memory budget by default (large buffers: erasure stripes, body and copy
// buffers). It is a bound, not a reservation: RSS follows what requests in flight hold. 8 MiB
// is four 1 MiB PUTs (2 MiB each: one stripe of 4 x 512 KiB shards) or three 1 MiB GETs at
// once, which keeps the daemon under 24 MB of RSS at 8 clients (docs/execution-model.md,
// "Memory") at the same throughput on two cores. A large PUT takes its grant only once its
// body's first bytes have arrived (BudgetedLayer), so clients that send a head and then
// trickle cannot hold the budget.
inline constexpr uint64_t kDefaultRequestMemory = 8ull << 20;

struct ServerOptions {
  int event_loops = 0;  // 0: 2 x cores
  // Requests in flight at once (request tasks on the loops); beyond it they wait for admission.
  // 0: kDefaultWorkers.
  int workers = 0;
  uint64_t request_memory_bytes = kDefaultRequestMemory;  // large buffers of requests in flight
  // A request waiting for admission (its address's share or the budget) longer than this is
  // answered 503 SlowDown.
  int admission_timeout_ms = 10'000;
  http::Limits limits;
  int header_timeout_ms = 10'000;  // first byte of a head to its end (anti-slowloris)
  int idle_timeout_ms = 60'000;    // keep-alive wait for the next request
  int io_timeout_ms = 60'000;      // inactivity while a worker streams a body or response
  // Bounds on the time a request may hold a worker while it waits for its client (see
  // net/transfer_budget.h and docs/design.md). Zero switches a bound off.
  // Total: 10 min plus 1 s per 64 KiB moved: a 5 GiB PUT or GET at 64 KiB/s or more (about
  // 0.5 Mbit/s) never hits it; a client that barely keeps the minimum rate is cut at ~10.5 min.
  int request_timeout_ms = 600'000;
  uint64_t request_timeout_bytes_per_s = 64 * 1024;
  // Minimum rate while waiting on the client, either direction: 32 KiB per 10 s (3.2 KiB/s).
  uint64_t min_rate_bytes = 32 * 1024;
  int min_rate_window_ms = 10'000;
  // Requests queued or running per client address; beyond it the loop answers 503 SlowDown.
  // 0: max(4, workers / 2), so one address can never take the whole pool.
  int max_requests_per_client = 0;
  int max_requests_per_connection = 1000;  // HTTP/1.1 (an HTTP/2 connection has no such bound)
  // HTTP/2 (h2 by ALPN, h2c with prior knowledge): streams in flight per connection
  // (SETTINGS_MAX_CONCURRENT_STREAMS); more are refused. 0 turns HTTP/2 off.
  int http2_max_streams = 100;
  int max_connections = 20'000;
};

}  // namespace flashstor::net
