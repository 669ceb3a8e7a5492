// ConfigureServerHeap: the malloc settings of the server process, set once at start-up before
// any thread exists (docs/execution-model.md, "Memory").
#pragma once

namespace flashstor::mem {

// One malloc arena for every thread. glibc otherwise gives each thread that meets lock
// contention its own arena (up to 8 per core), and each arena keeps the large buffers its
// thread's requests freed (1 MiB body blocks, 512 KiB shards) for that thread alone: with four
// event loops and the I/O pool the 1 MiB PUT bench held 4 x the buffers in flight. With one
// arena a buffer one request frees is the next request's, on any thread, so the heap's high
// water is what is in flight at once (bounded by the request memory budget). Small
// allocations mostly come from glibc's per-thread caches (tcache), which take no lock.
void ConfigureServerHeap();

}  // namespace flashstor::mem
