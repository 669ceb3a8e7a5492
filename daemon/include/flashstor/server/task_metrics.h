// Gauges of the execution model: request tasks running and waiting for admission, admission
// timeouts, the request memory budget, what one task holds, and the process heap (in use,
// free, trims when idle).
#pragma once

#include "flashstor/mem/idle_trim.h"
#include "flashstor/net/http_server.h"
#include "flashstor/task/memory_budget.h"

namespace flashstor::server {

void RegisterTaskMetrics(const net::HttpServer& http, const task::MemoryBudget& budget);
void RegisterHeapMetrics(const mem::IdleTrim& trim);

}  // namespace flashstor::server
