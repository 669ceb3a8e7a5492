// LifecycleWorker: applies the buckets' lifecycle rules in the background. One thread; each
// pass walks the buckets that have a lifecycle configuration, a page of 1,000 keys at a time,
// expires current versions whose time has come (DeleteObject semantics: a delete marker in a
// versioned bucket), removes noncurrent versions and expired delete markers as the rules say,
// and aborts multipart uploads past their rule's age. A pass never deletes
// an object that changed since it was listed (the delete is conditional on its ETag).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "flashstor/object/lifecycle_rules.h"
#include "flashstor/object/object_layer.h"

namespace flashstor::object {

struct LifecycleStats {
  uint64_t passes = 0;
  uint64_t objects_expired = 0;
  uint64_t uploads_aborted = 0;
  uint64_t versions_expired = 0;  // noncurrent versions and expired delete markers removed
  uint64_t errors = 0;
};

// One removal made by a rule: a current version expired (a delete marker added in a versioned
// bucket), a noncurrent version or an expired delete marker removed for good.
struct LifecycleRemoval {
  std::string bucket;
  std::string key;
  std::string version_id;  // of the marker added or the version removed ("" unversioned)
  bool delete_marker_created = false;
};
using LifecycleObserver = std::function<void(const LifecycleRemoval&)>;

class LifecycleWorker {
 public:
  // day_seconds: length of a lifecycle day. Passes run every min(day / 4, 1 h), at least
  // every second. observer (may be empty) hears of every removal, on the worker's thread.
  LifecycleWorker(ObjectLayer& layer, int day_seconds, LifecycleObserver observer = {});
  ~LifecycleWorker();  // stops and joins
  LifecycleWorker(const LifecycleWorker&) = delete;
  LifecycleWorker& operator=(const LifecycleWorker&) = delete;

  void start();
  void stop();
  // One pass over every bucket now (tests; the thread calls it).
  void run_pass(int64_t now_ns);
  LifecycleStats stats() const;
  int64_t day_ns() const { return day_ns_; }

 private:
  void loop();
  void run_bucket(const std::string& bucket, const LifecycleConfig& config, int64_t now_ns);
  // Versioned buckets: noncurrent versions past their rule's days (beyond the newest ones it
  // keeps), and delete markers left as a key's only version (ExpiredObjectDeleteMarker).
  void run_versions(const std::string& bucket, const LifecycleConfig& config, int64_t now_ns);
  void remove_version(const std::string& bucket, const ObjectInfo& version);
  bool stopping() const { return stop_.load(std::memory_order_relaxed); }

  ObjectLayer& layer_;
  // Its calls' context: trace id "lifecycle", no deadline of its own (lock waits keep
  // Locker::kDefaultTimeout).
  const RequestContext ctx_ = RequestContext::Background("lifecycle");
  const LifecycleObserver observer_;
  const int64_t day_ns_;
  const int64_t interval_ms_;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> passes_{0}, expired_{0}, aborted_{0}, versions_expired_{0}, errors_{0};
};

}  // namespace flashstor::object
