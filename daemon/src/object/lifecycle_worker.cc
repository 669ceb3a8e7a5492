// LifecycleWorker: the background passes that carry out lifecycle rules.
#include "flashstor/object/lifecycle_worker.h"

#include <algorithm>
#include <chrono>

#include "flashstor/obs/log.h"

namespace flashstor::object {
namespace {

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

LifecycleWorker::LifecycleWorker(ObjectLayer& layer, int day_seconds)
    : layer_(layer),
      day_ns_(static_cast<int64_t>(day_seconds) * 1'000'000'000),
      interval_ms_(
          std::clamp<int64_t>(static_cast<int64_t>(day_seconds) * 1000 / 4, 1000, 3'600'000)) {}

LifecycleWorker::~LifecycleWorker() {
  stop();
}

void LifecycleWorker::start() {
  thread_ = std::thread([this] { loop(); });
}

void LifecycleWorker::stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

LifecycleStats LifecycleWorker::stats() const {
  return {passes_.load(), expired_.load(), aborted_.load(), errors_.load()};
}

void LifecycleWorker::loop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    if (cv_.wait_for(lock, std::chrono::milliseconds(interval_ms_),
                     [this] { return stop_.load(); })) {
      return;
    }
    lock.unlock();
    run_pass(NowNs());
    lock.lock();
  }
}

void LifecycleWorker::run_pass(int64_t now_ns) {
  auto buckets = layer_.list_buckets({});
  if (!buckets) {
    ++errors_;
    return;
  }
  for (const BucketInfo& b : *buckets) {
    if (stopping()) return;
    auto meta = layer_.get_bucket_metadata(b.name);
    if (!meta) continue;
    const std::string* doc = (*meta)->config(kConfigLifecycle);
    if (doc == nullptr) continue;
    auto config = ParseLifecycleXml(*doc);
    if (!config) {
      // Stored after validation: only a newer release's document can fail here.
      ++errors_;
      continue;
    }
    run_bucket(b.name, *config, now_ns);
  }
  ++passes_;
}

void LifecycleWorker::run_bucket(const std::string& bucket, const LifecycleConfig& config,
                                 int64_t now_ns) {
  ListOptions opt;
  opt.max_keys = 1000;
  for (;;) {
    if (stopping()) return;
    auto page = layer_.list_objects(bucket, opt);
    if (!page) {
      ++errors_;
      return;
    }
    for (const ObjectInfo& o : page->objects) {
      LifecycleObject lo{o.key, o.size, o.mod_time_ns, &o.tags};
      auto expiry = CurrentVersionExpiry(config, lo, day_ns_);
      if (!expiry || expiry->at_ns > now_ns) continue;
      WritePrecondition unchanged;
      unchanged.if_match = o.etag;
      Status st = layer_.delete_object(bucket, o.key, unchanged);
      if (st.ok()) {
        ++expired_;
        obs::Log(obs::Level::kInfo, "lifecycle expired an object",
                 {{"BUCKET", bucket}, {"KEY", o.key}, {"RULE", expiry->rule_id}});
      } else if (st != Code::kPreconditionFailed && st != Code::kNoSuchKey) {
        ++errors_;
      }
    }
    if (!page->truncated || page->next_marker.empty()) break;
    opt.start_after = page->next_marker;
  }
  const bool aborts = std::any_of(config.rules.begin(), config.rules.end(), [](const auto& r) {
    return r.enabled && r.abort_incomplete_days != 0;
  });
  if (!aborts) return;
  ListUploadsOptions uo;
  for (;;) {
    if (stopping()) return;
    auto uploads = layer_.list_multipart_uploads(bucket, uo);
    if (!uploads) {
      ++errors_;
      return;
    }
    for (const MultipartUpload& u : uploads->uploads) {
      auto at = UploadAbortTime(config, u.key, u.initiated_ns, day_ns_);
      if (!at || *at > now_ns) continue;
      Status st = layer_.abort_multipart_upload(bucket, u.key, u.upload_id);
      if (st.ok()) {
        ++aborted_;
      } else if (st != Code::kNoSuchUpload) {
        ++errors_;
      }
    }
    if (!uploads->truncated) break;
    uo.key_marker = uploads->next_key_marker;
    uo.upload_id_marker = uploads->next_upload_id_marker;
  }
}

}  // namespace flashstor::object
