// BackgroundHealer: the heal thread. Drains the heal queue (heal_object per entry), probes the
// drives every 10 s, and when a drive rejoins runs one full healing scan (objects written
// while it was away miss their shards on it), which also refills re-formatted replacements.
#pragma once

#include <memory>
#include <thread>

#include "flashstor/object/drive_prober.h"
#include "flashstor/object/erasure_set.h"
#include "flashstor/object/heal_queue.h"
#include "flashstor/object/scanner.h"
#include "flashstor/object/stop_signal.h"

namespace flashstor::object {

class ErasureSets;
struct DriveEvents;

class BackgroundHealer {
 public:
  BackgroundHealer(ErasureSets& layer, HealQueue& queue, EngineCounters& counters,
                   DriveProber& prober, Scanner& scanner, std::shared_ptr<DriveEvents> events,
                   StopSignal& stop);
  void start();
  void join();

 private:
  void loop();
  void take_drive_events();  // drives that rejoined: count them, refill replacements

  ErasureSets& layer_;
  const RequestContext ctx_ = RequestContext::Background("heal");  // no deadline
  HealQueue& queue_;
  EngineCounters& counters_;
  DriveProber& prober_;
  Scanner& scanner_;
  std::shared_ptr<DriveEvents> events_;
  StopSignal& stop_;
  std::thread thread_;
};

}  // namespace flashstor::object
