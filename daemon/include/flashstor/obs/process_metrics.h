// Process gauges evaluated at scrape time: resident memory and open file descriptors.
#pragma once

#include <cstdint>

#include "flashstor/common/status.h"
#include "flashstor/obs/metrics.h"

namespace flashstor::obs {

// Resident set size in bytes, from /proc/self/statm (second field times the page size).
Result<uint64_t> ReadResidentBytes();
// Number of open file descriptors (entries of /proc/self/fd, excluding the one used to list).
Result<uint64_t> CountOpenFds();

// Registers process_resident_memory_bytes and process_open_fds (gauge callbacks; -1 when the
// value cannot be read). Other areas add theirs the same way, e.g.
//   registry.gauge_fn("flashstor_arena_bytes_in_use", "...", {}, [&] { return arena.used(); });
void RegisterProcessMetrics(MetricsRegistry& registry);

}  // namespace flashstor::obs
