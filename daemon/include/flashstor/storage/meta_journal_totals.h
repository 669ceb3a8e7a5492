// What the drives' metadata journals did since the process started, summed over the drives
// (the private storage/meta_journal.h counts them), for /metrics.
#pragma once

#include <cstdint>

namespace flashstor::storage {

struct MetaJournalTotals {
  uint64_t records = 0;      // changes logged
  uint64_t syncs = 0;        // fdatasyncs of a log (each covers every record appended before)
  uint64_t checkpoints = 0;  // logs emptied after a syncfs
};
MetaJournalTotals MetaJournalTotalsAllDrives();

}  // namespace flashstor::storage
