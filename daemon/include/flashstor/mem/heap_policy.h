// ConfigureServerHeap: the malloc settings of the server process, set once at start-up before
// any thread exists (docs/execution-model.md, "Memory").
#pragma once

#include <cstddef>

namespace flashstor::mem {

// Buffers of kLargeBufferBytes or more are mapped on their own, outside every arena: a large
// buffer a request frees is unmapped (or kept in the shard buffer pool, mem::ShardBuffers()),
// never left in one thread's arena where no other thread can use it. glibc's default threshold
// grows with the largest buffer freed (up to 32 MiB), which put every 512 KiB shard in an arena.
inline constexpr size_t kLargeBufferBytes = 256u << 10;

// `arenas` malloc arenas (the server passes its event-loop count, by default 2 x cores): each
// event loop mostly allocates from an arena of its own, so the loops do not queue on one
// arena's lock (with one arena for every thread, the futex waits of that lock were 9 % of a
// 4 KiB GET's CPU and most of its voluntary context switches). The arenas hold only small
// allocations: the large ones are mapped (kLargeBufferBytes), so an arena's high water is what
// its threads' requests hold in small objects, not the shards they freed.
void ConfigureServerHeap(int arenas);

}  // namespace flashstor::mem
