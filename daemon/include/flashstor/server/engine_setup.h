// Engine set-up for the daemon: opens the erasure-coded engine over the configured drives and
// exports its counters and the HTTP server's state as Prometheus gauges.
#pragma once

#include <memory>
#include <string>

#include "flashstor/config/config.h"
#include "flashstor/net/http_server.h"
#include "flashstor/notify/notifier.h"
#include "flashstor/object/erasure_sets.h"
#include "flashstor/object/lifecycle_worker.h"

namespace flashstor::server {

struct Engine {
  std::unique_ptr<object::ErasureSets> sets;
  object::ObjectLayer* layer = nullptr;
  std::unique_ptr<notify::Notifier> notifier;  // webhook targets; null without any
  // Over sets, publishing to notifier: declared after both, so destroyed (joined) first.
  std::unique_ptr<object::LifecycleWorker> lifecycle;

  // Readiness: more than half of the drives answered at start-up or the last probe (each set
  // then has its write quorum in the default layouts).
  bool write_quorum_available() const;
  // The heal drainer, the scanner and the lifecycle worker: started once the daemon serves, so
  // that their first passes over the buckets do not compete with start-up and the first
  // requests for the two cores. OpenEngine leaves them stopped.
  void start_background();
  void shutdown();
};

// Errors are one line naming the drive or setting at fault.
std::expected<std::unique_ptr<Engine>, std::string> OpenEngine(const config::Config& cfg);

// Gauges for connections, arena bytes, workers, drives, healing and scanning.
void RegisterServerMetrics(const net::HttpServer& http, const Engine& engine);

}  // namespace flashstor::server
