// ConfigureServerHeap: mallopt at start-up (glibc only; other libcs keep their defaults).
#include "flashstor/mem/heap_policy.h"

#include <algorithm>
#include <cstdlib>  // defines __GLIBC__ on glibc

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace flashstor::mem {

void ConfigureServerHeap(int arenas) {
#if defined(__GLIBC__)
  mallopt(M_ARENA_MAX, std::max(1, arenas));
  mallopt(M_MMAP_THRESHOLD, static_cast<int>(kLargeBufferBytes));  // fixed: no dynamic growth
#else
  (void)arenas;
#endif
}

}  // namespace flashstor::mem
