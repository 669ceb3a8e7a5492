// ConfigureServerHeap: mallopt at start-up (glibc only; other libcs keep their defaults).
#include "flashstor/mem/heap_policy.h"

#include <cstdlib>  // defines __GLIBC__ on glibc

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace flashstor::mem {

void ConfigureServerHeap() {
#if defined(__GLIBC__)
  mallopt(M_ARENA_MAX, 1);
#endif
}

}  // namespace flashstor::mem
