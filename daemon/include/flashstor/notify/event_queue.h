// EventQueue: one webhook target's durable, bounded event queue and its delivery thread.
// Each event is one small file, kSysVolume/events/<target id>/<20-digit sequence>.json,
// written atomically (write_all: temp file, fsync, rename, fsync of the directory) to every
// drive, and accepted once a majority of the drives holds it. The thread POSTs the lowest
// sequence first (in order, at least once), removes the file from every drive after a 2xx,
// and retries with capped exponential back-off otherwise. At start the queue is rebuilt
// from the union of the drives' listings, so events queued before a crash are delivered.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "flashstor/notify/webhook_client.h"
#include "flashstor/object/worker_pool.h"
#include "flashstor/storage/storage_api.h"

namespace flashstor::notify {

struct TargetOptions {
  std::string id;  // [A-Za-z0-9_-], also the queue directory name
  WebhookUrl url;
  std::string bearer_token;          // never logged
  uint64_t max_events = 10'000;      // queue bound, count
  uint64_t max_bytes = 64ull << 20;  // queue bound, bytes of event messages
  std::chrono::milliseconds attempt_timeout{5'000};
  std::chrono::milliseconds backoff_min{250};
  std::chrono::milliseconds backoff_max{30'000};
};

struct QueueStats {
  uint64_t queued = 0;           // events accepted since start
  uint64_t delivered = 0;        // events the webhook answered 2xx
  uint64_t failed_attempts = 0;  // POSTs that failed (down, timeout, non-2xx)
  uint64_t dropped_full = 0;     // events refused because the queue was full
  uint64_t dropped_errors = 0;   // not written to a majority of drives, or unreadable later
  uint64_t length = 0;           // events waiting now
  uint64_t bytes = 0;            // their bytes
};

class EventQueue {
 public:
  EventQueue(TargetOptions options, std::span<const std::shared_ptr<storage::StorageApi>> drives,
             object::WorkerPool& pool);
  ~EventQueue();  // stops and joins
  EventQueue(const EventQueue&) = delete;
  EventQueue& operator=(const EventQueue&) = delete;

  // Reads the backlog from the drives and starts the delivery thread.
  void start();
  // Stops the thread within about 100 ms (an attempt in flight is cut short; its event stays
  // queued and is sent again at the next start).
  void stop();
  // Queues one message durably (majority of drives). False when the queue is full or the
  // drives refused it; counted, never retried.
  bool enqueue(std::string message);
  QueueStats stats() const;
  const std::string& id() const { return options_.id; }

 private:
  std::string key() const;  // "events/<id>" in kSysVolume
  void load_backlog();
  void loop();
  enum class Attempt { kDelivered, kFailed, kDropped /* unreadable on every drive */ };
  // One attempt to send event seq.
  Attempt deliver(uint64_t seq);
  Result<std::string> read_event(uint64_t seq);
  void remove_event(uint64_t seq);

  const TargetOptions options_;
  std::vector<std::shared_ptr<storage::StorageApi>> drives_;
  object::WorkerPool& pool_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::map<uint64_t, uint64_t> pending_;               // sequence -> bytes, committed events
  uint64_t reserved_events_ = 0, reserved_bytes_ = 0;  // includes writes in flight
  uint64_t next_seq_ = 1;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::atomic<uint64_t> queued_{0}, delivered_{0}, failed_{0}, dropped_full_{0}, dropped_errors_{0};
};

}  // namespace flashstor::notify
