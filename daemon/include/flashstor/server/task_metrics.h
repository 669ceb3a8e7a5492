// Gauges of the execution model: request tasks running and waiting for admission, admission
// timeouts, the request memory budget, and what one task holds.
#pragma once

#include "flashstor/net/http_server.h"
#include "flashstor/task/memory_budget.h"

namespace flashstor::server {

void RegisterTaskMetrics(const net::HttpServer& http, const task::MemoryBudget& budget);

}  // namespace flashstor::server
