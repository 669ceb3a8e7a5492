// Scanner: the background pass that verifies and heals every object of every bucket at a
// bounded rate (ObjectLayer::heal_objects), a pause between passes, and the unthrottled full
// pass that refills drives re-formatted in place of wiped ones.
#pragma once

#include <atomic>
#include <cstdint>
#include <thread>

#include "flashstor/object/erasure_set.h"
#include "flashstor/object/stop_signal.h"

namespace flashstor::object {

class ErasureSets;

class Scanner {
 public:
  Scanner(ErasureSets& layer, EngineCounters& counters, StopSignal& stop,
          double objects_per_second);
  // Starts the thread when the rate is positive or full_scan_now (a full pass first).
  void start(bool full_scan_now);
  void join();
  // One pass over every bucket and object (verify + heal); objects_per_second <= 0:
  // unthrottled. Returns the objects scanned.
  uint64_t scan_once(double objects_per_second);

 private:
  void loop();

  ErasureSets& layer_;
  const RequestContext ctx_ = RequestContext::Background("scanner");  // no deadline
  EngineCounters& counters_;
  StopSignal& stop_;
  double objects_per_second_;
  std::atomic<bool> full_scan_{false};
  std::thread thread_;
};

}  // namespace flashstor::object
