// LifecycleWorker: the background passes that carry out lifecycle rules.
#include "flashstor/object/lifecycle_worker.h"

#include <algorithm>
#include <chrono>
#include <optional>
#include <utility>

#include "flashstor/common/thread_name.h"
#include "flashstor/obs/log.h"

namespace flashstor::object {
namespace {

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

LifecycleWorker::LifecycleWorker(ObjectLayer& layer, int day_seconds, LifecycleObserver observer)
    : layer_(layer),
      observer_(std::move(observer)),
      day_ns_(static_cast<int64_t>(day_seconds) * 1'000'000'000),
      interval_ms_(
          std::clamp<int64_t>(static_cast<int64_t>(day_seconds) * 1000 / 4, 1000, 3'600'000)) {}

LifecycleWorker::~LifecycleWorker() {
  stop();
}

void LifecycleWorker::start() {
  thread_ = std::thread([this] {
    NameThisThread("fs-lifecycle");
    loop();
  });
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
  return {passes_.load(), expired_.load(), aborted_.load(), versions_expired_.load(),
          errors_.load()};
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
  auto buckets = layer_.list_buckets(ctx_, {});
  if (!buckets) {
    ++errors_;
    return;
  }
  for (const BucketInfo& b : *buckets) {
    if (stopping()) return;
    auto meta = layer_.get_bucket_metadata(ctx_, b.name);
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
    if ((*meta)->versioning_configured()) run_versions(b.name, *config, now_ns);
  }
  ++passes_;
}

void LifecycleWorker::run_bucket(const std::string& bucket, const LifecycleConfig& config,
                                 int64_t now_ns) {
  ListOptions opt;
  opt.max_keys = 1000;
  // The same rules with their tag conditions dropped: a first, listing-only test.
  const bool tag_rules = std::any_of(config.rules.begin(), config.rules.end(),
                                     [](const auto& r) { return !r.filter.tags.empty(); });
  LifecycleConfig without_tags = config;
  for (auto& r : without_tags.rules) r.filter.tags.clear();
  for (;;) {
    if (stopping()) return;
    auto page = layer_.list_objects(ctx_, bucket, opt);
    if (!page) {
      ++errors_;
      return;
    }
    for (const ObjectInfo& o : page->objects) {
      // Listings leave tags out (they decode what a page shows): a rule that filters on tags
      // reads the object's full metadata, for the keys its other conditions let through.
      LifecycleObject lo{o.key, o.size, o.mod_time_ns, nullptr};
      auto expiry = CurrentVersionExpiry(config, lo, day_ns_);
      if (tag_rules) {
        auto untagged = CurrentVersionExpiry(without_tags, lo, day_ns_);
        if (!untagged || untagged->at_ns > now_ns) continue;
        auto full = layer_.get_object_info(ctx_, bucket, o.key);
        if (!full || full->etag != o.etag) continue;
        lo.tags = &full->tags;
        expiry = CurrentVersionExpiry(config, lo, day_ns_);
      }
      if (!expiry || expiry->at_ns > now_ns) continue;
      // DeleteObject semantics (a marker in a versioned bucket), only if unchanged since listed.
      DeleteOptions unchanged;
      unchanged.precondition.if_match = o.etag;
      auto done = layer_.delete_object_version(ctx_, bucket, o.key, unchanged);
      if (done) {
        ++expired_;
        obs::Log(obs::Level::kInfo, "lifecycle expired an object",
                 {{"BUCKET", bucket}, {"KEY", o.key}, {"RULE", expiry->rule_id}});
        if (observer_) observer_({bucket, o.key, done->version_id, done->delete_marker});
      } else if (done.error() != Code::kPreconditionFailed && done.error() != Code::kNoSuchKey) {
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
    auto uploads = layer_.list_multipart_uploads(ctx_, bucket, uo);
    if (!uploads) {
      ++errors_;
      return;
    }
    for (const MultipartUpload& u : uploads->uploads) {
      auto at = UploadAbortTime(config, u.key, u.initiated_ns, day_ns_);
      if (!at || *at > now_ns) continue;
      Status st = layer_.abort_multipart_upload(ctx_, bucket, u.key, u.upload_id);
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

void LifecycleWorker::remove_version(const std::string& bucket, const ObjectInfo& version) {
  DeleteOptions opt;
  opt.version_id = version.version_id.empty() ? "null" : version.version_id;
  auto r = layer_.delete_object_version(ctx_, bucket, version.key, opt);
  if (r) {
    ++versions_expired_;
    if (observer_) observer_({bucket, version.key, opt.version_id, false});
  } else if (r.error() != Code::kNoSuchVersion && r.error() != Code::kNoSuchKey) {
    ++errors_;
  }
}

void LifecycleWorker::run_versions(const std::string& bucket, const LifecycleConfig& config,
                                   int64_t now_ns) {
  const bool wanted = std::any_of(config.rules.begin(), config.rules.end(), [](const auto& r) {
    return r.enabled && (r.noncurrent_days != 0 || r.expired_object_delete_marker);
  });
  if (!wanted) return;
  ListOptions opt;
  opt.versions = true;
  opt.max_keys = 1000;
  // The key being walked: its versions come newest first, possibly across pages.
  std::string key;
  int64_t successor_ns = 0;  // when the version just seen was written: the next one became
                             // noncurrent then
  int noncurrent_index = 0;  // 1 for the newest noncurrent version
  int versions_seen = 0;
  std::optional<ObjectInfo> lone_marker;  // the key's current version, if a delete marker
  auto finish_key = [&] {
    // A delete marker with no version behind it expires (ExpiredObjectDeleteMarker).
    if (!lone_marker || versions_seen != 1) return;
    LifecycleObject lo{lone_marker->key, 0, lone_marker->mod_time_ns, nullptr};
    for (const LifecycleRule& r : config.rules) {
      if (r.enabled && r.expired_object_delete_marker && RuleMatches(r, lo)) {
        remove_version(bucket, *lone_marker);
        return;
      }
    }
  };
  for (;;) {
    if (stopping()) return;
    auto page = layer_.list_objects(ctx_, bucket, opt);
    if (!page) {
      ++errors_;
      return;
    }
    for (const ObjectInfo& v : page->objects) {
      if (v.key != key) {
        finish_key();
        key = v.key;
        noncurrent_index = 0;
        versions_seen = 0;
        lone_marker.reset();
      }
      ++versions_seen;
      if (v.is_latest) {
        if (v.delete_marker) lone_marker = v;
        successor_ns = v.mod_time_ns;
        continue;
      }
      ++noncurrent_index;
      const int64_t noncurrent_since = successor_ns;
      successor_ns = v.mod_time_ns;
      // Listings carry no tags: a rule filtering on tags never removes a noncurrent version.
      LifecycleObject lo{v.key, v.size, v.mod_time_ns, nullptr};
      for (const LifecycleRule& r : config.rules) {
        if (!r.enabled || r.noncurrent_days == 0 || !RuleMatches(r, lo)) continue;
        if (noncurrent_index <= r.newer_noncurrent_versions) continue;
        if (noncurrent_since + r.noncurrent_days * day_ns_ > now_ns) continue;
        remove_version(bucket, v);
        break;
      }
    }
    if (!page->truncated || page->next_marker.empty()) break;
    opt.start_after = page->next_marker;
    opt.version_id_marker = page->next_version_id_marker;
  }
  finish_key();
}

}  // namespace flashstor::object
