// /metrics series for request tasks, the request memory budget, the heap, the metadata caches
// and the metadata journals.
#include "flashstor/server/task_metrics.h"

#include "flashstor/obs/metrics.h"
#include "flashstor/storage/meta_cache.h"
#include "flashstor/storage/meta_journal_totals.h"

namespace flashstor::server {

void RegisterTaskMetrics(const net::HttpServer& http, const task::MemoryBudget& budget) {
  obs::MetricsRegistry& r = obs::DefaultRegistry();
  auto stat = [&http](uint64_t net::ServerStats::*f) {
    return [&http, f] { return static_cast<double>(http.stats().*f); };
  };
  r.gauge_fn("flashstor_request_tasks", "Request tasks running on the event loops.",
             {{"state", "running"}}, stat(&net::ServerStats::tasks_running));
  r.gauge_fn("flashstor_request_tasks", "Request tasks waiting for admission.",
             {{"state", "queued"}}, stat(&net::ServerStats::queued));
  r.gauge_fn("flashstor_request_tasks_max", "Request tasks allowed in flight at once.", {},
             [&http] { return static_cast<double>(http.workers()); });
  r.gauge_fn("flashstor_request_admission_timeouts",
             "Requests answered 503 after waiting too long for admission.", {},
             stat(&net::ServerStats::admission_timeouts));
  r.gauge_fn("flashstor_requests_client_closed",
             "Requests cancelled while they waited server-side: the client closed its "
             "connection or reset its HTTP/2 stream (audit status 499).",
             {}, stat(&net::ServerStats::requests_cancelled));
  r.gauge_fn("flashstor_request_task_bytes", "Memory one request task holds, by part.",
             {{"part", "stack_reserved"}}, stat(&net::ServerStats::task_stack_bytes));
  r.gauge_fn("flashstor_request_task_bytes", "Memory one request task holds, by part.",
             {{"part", "arena_in_use"}}, [&http] {
               net::ServerStats s = http.stats();
               return s.tasks_running == 0 ? 0.0
                                           : static_cast<double>(s.arena_blocks_in_use) * 65536.0 /
                                                 static_cast<double>(s.tasks_running);
             });
  r.gauge_fn("flashstor_request_task_bytes", "Memory one request task holds, by part.",
             {{"part", "buffers_granted"}}, [&http, &budget] {
               const size_t running = http.stats().tasks_running;
               return running == 0
                          ? 0.0
                          : static_cast<double>(budget.in_use()) / static_cast<double>(running);
             });
  r.gauge_fn("flashstor_request_memory_bytes", "Request memory budget for large buffers.",
             {{"state", "capacity"}}, [&budget] { return static_cast<double>(budget.capacity()); });
  r.gauge_fn("flashstor_request_memory_bytes", "Request memory budget for large buffers.",
             {{"state", "in_use"}}, [&budget] { return static_cast<double>(budget.in_use()); });
  r.gauge_fn("flashstor_request_memory_waits", "Large transfers that waited for memory.", {},
             [&budget] { return static_cast<double>(budget.waits()); });
  r.gauge_fn("flashstor_request_memory_timeouts",
             "Large transfers answered 503: no memory within the admission deadline.", {},
             [&budget] { return static_cast<double>(budget.timeouts()); });
}

void RegisterHeapMetrics(const mem::IdleTrim& trim) {
  obs::MetricsRegistry& r = obs::DefaultRegistry();
  r.gauge_fn("flashstor_heap_bytes", "malloc heap: bytes in use, and free bytes kept for reuse.",
             {{"state", "in_use"}},
             [] { return static_cast<double>(mem::IdleTrim::HeapInUseBytes()); });
  r.gauge_fn("flashstor_heap_bytes", "malloc heap: bytes in use, and free bytes kept for reuse.",
             {{"state", "free"}},
             [] { return static_cast<double>(mem::IdleTrim::HeapFreeBytes()); });
  r.gauge_fn("flashstor_heap_idle_trims", "Times the free heap was handed back when idle.", {},
             [&trim] { return static_cast<double>(trim.trims()); });
}

void RegisterMetaCacheMetrics() {
  obs::MetricsRegistry& r = obs::DefaultRegistry();
  using Totals = storage::MetaCache::Totals;
  auto total = [](uint64_t Totals::*f) {
    return [f] { return static_cast<double>(storage::MetaCache::AllDrives().*f); };
  };
  r.gauge_fn("flashstor_meta_cache_hits",
             "Cached reads of object metadata answered from memory, summed over the drives.", {},
             total(&Totals::hits));
  r.gauge_fn("flashstor_meta_cache_misses",
             "Cached reads of object metadata that had to read the drive.", {},
             total(&Totals::misses));
  r.gauge_fn("flashstor_meta_cache_bytes", "Memory the drives' metadata caches hold.", {},
             total(&Totals::bytes));
  r.gauge_fn("flashstor_meta_cache_entries", "Metadata files the drives' caches hold.", {},
             total(&Totals::entries));
  using Journal = storage::MetaJournalTotals;
  auto journal = [](uint64_t Journal::*f) {
    return [f] { return static_cast<double>(storage::MetaJournalTotalsAllDrives().*f); };
  };
  r.gauge_fn("flashstor_meta_journal_records",
             "Object metadata changes logged in the drives' metadata journals.", {},
             journal(&Journal::records));
  r.gauge_fn("flashstor_meta_journal_syncs",
             "fdatasyncs of the metadata journals; records / syncs is how many commits share "
             "one.",
             {}, journal(&Journal::syncs));
  r.gauge_fn("flashstor_meta_journal_checkpoints",
             "Metadata journals emptied after a syncfs made their changes durable.", {},
             journal(&Journal::checkpoints));
}

}  // namespace flashstor::server
