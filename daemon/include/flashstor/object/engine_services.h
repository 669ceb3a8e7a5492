// EngineServices: what all sets of the engine share and ErasureSets owns: the I/O worker
// pool, the namespace locks, the heal queue and the counters. Each ErasureSet reaches them
// through its EngineContext.
#pragma once

#include <chrono>
#include <memory>

#include "flashstor/object/engine_config.h"
#include "flashstor/object/erasure_set.h"
#include "flashstor/object/heal_queue.h"
#include "flashstor/object/namespace_lock.h"
#include "flashstor/object/worker_pool.h"

namespace flashstor::object {

struct EngineServices {
  EngineServices(int io_threads, size_t heal_queue_capacity,
                 std::chrono::milliseconds lock_lease = std::chrono::milliseconds(0))
      : pool(std::make_unique<WorkerPool>(io_threads)),
        locks(lock_lease),
        heal_queue(heal_queue_capacity) {}
  // A set's view of them, with the engine's configuration.
  EngineContext context(const EngineConfig& config) {
    return EngineContext{config, pool.get(), &locks, &heal_queue, &counters};
  }

  std::unique_ptr<WorkerPool> pool;
  NamespaceLock locks;
  HealQueue heal_queue;
  EngineCounters counters;
};

}  // namespace flashstor::object
