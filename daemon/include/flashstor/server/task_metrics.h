// Gauges of the execution model: request tasks running and waiting for admission, admission
// timeouts, the request memory budget, what one task holds, the process heap (in use, free,
// trims when idle) and the drives' metadata caches.
#pragma once

#include "flashstor/mem/idle_trim.h"
#include "flashstor/net/http_server.h"
#include "flashstor/task/memory_budget.h"

namespace flashstor::server {

void RegisterTaskMetrics(const net::HttpServer& http, const task::MemoryBudget& budget);
void RegisterHeapMetrics(const mem::IdleTrim& trim);
// flashstor_meta_cache_*: storage::MetaCache summed over the drives open.
void RegisterMetaCacheMetrics();

}  // namespace flashstor::server
