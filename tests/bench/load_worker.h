// LoadWorker: one load-generator thread: its own connection, signer, PRNG and statistics.
// Runs the timed PUT/GET loop, or one request per key (prefill, heal).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <random>
#include <span>
#include <string>

#include "http_connection.h"
#include "latency_histogram.h"
#include "loadgen_options.h"
#include "request_factory.h"

namespace flashstor::bench {

using Clock = std::chrono::steady_clock;

struct RunStats {
  LatencyHistogram latency;  // successful requests only
  uint64_t ok_ops = 0;
  uint64_t ok_bytes = 0;  // payload bytes moved by successful requests
  uint64_t connections = 0;
  uint64_t retries = 0;  // reused keep-alive connection found closed; retried once
  uint64_t shards_healed = 0;
  std::map<std::string, uint64_t> errors;  // "503", "timeout", "wrong-length", ...

  uint64_t error_count() const;
  void merge(const RunStats& other);
};

class LoadWorker {
 public:
  // payload: the PUT body (shared, read-only); payload_sha256: its hex digest.
  LoadWorker(const Options& o, const Endpoint& endpoint, std::span<const char> payload,
             std::string_view payload_sha256, unsigned index);

  // PUT/GET/mixed until `deadline`, or until `issued` reaches o.max_ops (when set).
  void run_timed(Clock::time_point deadline, std::atomic<uint64_t>& issued);
  // One `op` (kPut or kHeal) for keys first, first + stride, ... below o.keys, until deadline.
  void run_keys(Op op, uint64_t first, uint64_t stride, Clock::time_point deadline);
  // One request with its checks; records the outcome in stats(). True when it succeeded.
  bool execute(Op op, uint64_t key);
  // PUT /bucket; 200 or 409 (already exists) count as success. Empty on success, else why
  // not ("HTTP 400", "connect", ...).
  std::string create_bucket();

  const RunStats& stats() const { return stats_; }
  HttpConnection& connection() { return conn_; }

 private:
  Result<Response> send(const std::string& head, std::span<const char> body, bool is_head,
                        std::span<const char> expect);
  void record_transport_error(const Status& s);

  const Options& o_;
  std::span<const char> payload_;
  RequestFactory factory_;
  HttpConnection conn_;
  std::mt19937_64 rng_;
  uint64_t next_put_;
  unsigned index_;
  RunStats stats_;
};

}  // namespace flashstor::bench
