// MetaWriteSeq: lets a reader of an object's metadata file tell whether a write of it overlapped
// the read, now that the metadata journal lets LocalDisk rewrite such files in place (a seqlock
// in slots chosen by the path's hash; docs/design.md, "The metadata journal"). Writes of one path
// are ordered by the journal, but writes of two paths sharing a slot may overlap, so a slot
// counts its writers besides bumping its sequence. Readers never wait on a lock: they read,
// check, and read again (or hand the read to a thread that may wait).
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <thread>

#include "flashstor/common/status.h"

namespace flashstor::storage {

class MetaWriteSeq {
  struct Slot {
    std::atomic<uint32_t> writers{0};
    std::atomic<uint64_t> seq{0};
  };

 public:
  static constexpr size_t kSlots = 1024;
  // How long a reader retries while writes keep overlapping its reads (then kFaultyDisk): a
  // write in place is a pwrite into the page cache, over in microseconds.
  static constexpr std::chrono::seconds kRetryFor{2};

  struct Stamp {
    size_t slot = 0;
    uint64_t seq = 0;
    bool busy = false;  // a write was running: what is read now may be torn
  };
  Stamp read_begin(std::string_view rel) const {
    const Slot& s = slots_[slot_of(rel)];
    Stamp stamp{slot_of(rel), s.seq.load(std::memory_order_seq_cst), false};
    stamp.busy = s.writers.load(std::memory_order_seq_cst) != 0;
    return stamp;
  }
  // True when no write of the slot ran during the read that followed read_begin.
  bool read_valid(const Stamp& stamp) const {
    const Slot& s = slots_[stamp.slot];
    // The read (a system call) before the checks below.
#if defined(__SANITIZE_THREAD__)
    (void)const_cast<Slot&>(s).seq.fetch_add(0, std::memory_order_seq_cst);  // TSan has no fences
#else
    std::atomic_thread_fence(std::memory_order_seq_cst);
#endif
    return !stamp.busy && s.writers.load(std::memory_order_seq_cst) == 0 &&
           s.seq.load(std::memory_order_seq_cst) == stamp.seq;
  }

  // read() (a Result<std::string>) until no write of rel overlapped it. At an overlap: again,
  // yielding between attempts, for at most kRetryFor (then kFaultyDisk); or, when the caller
  // must not wait (an event loop's cached read), kWouldBlock, so the read moves to a thread
  // that may.
  template <class Read>
  Result<std::string> read_whole(std::string_view rel, bool must_not_wait, Read&& read) const {
    const auto deadline = std::chrono::steady_clock::now() + kRetryFor;
    for (;;) {
      const Stamp stamp = read_begin(rel);
      if (!stamp.busy) {
        Result<std::string> out = read();
        if (read_valid(stamp)) return out;
      }
      if (must_not_wait) return Err(Code::kWouldBlock, "metadata file being written");
      if (std::chrono::steady_clock::now() > deadline) {
        return Err(Code::kFaultyDisk, "metadata file kept changing while read");
      }
      std::this_thread::yield();
    }
  }

  // Held for the whole of a write of rel's file in place.
  class Writing {
   public:
    Writing(MetaWriteSeq& seq, std::string_view rel) : slot_(seq.slots_[seq.slot_of(rel)]) {
      slot_.writers.fetch_add(1, std::memory_order_seq_cst);
      slot_.seq.fetch_add(1, std::memory_order_seq_cst);
    }
    ~Writing() {
      slot_.seq.fetch_add(1, std::memory_order_seq_cst);
      slot_.writers.fetch_sub(1, std::memory_order_seq_cst);
    }
    Writing(const Writing&) = delete;
    Writing& operator=(const Writing&) = delete;

   private:
    Slot& slot_;
  };

 private:
  size_t slot_of(std::string_view rel) const {
    return std::hash<std::string_view>{}(rel) % kSlots;
  }
  std::array<Slot, kSlots> slots_;
};

}  // namespace flashstor::storage
