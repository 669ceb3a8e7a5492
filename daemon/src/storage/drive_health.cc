// HealthCheckedDisk::Health: the state machine of one drive. Online -> offline when a call
// outlives its deadline (watchdog tick or on return) or reports kDiskNotFound; offline ->
// online when the probe (disk_info + a small write and read in kSysVolume/tmp) answers within
// the metadata deadline, or, for a vanished drive, when the reconnector finds it again.
#include "drive_health.h"

#include <time.h>

#include <algorithm>

#include "flashstor/common/thread_name.h"
#include "flashstor/obs/log.h"

namespace flashstor::storage {
namespace {

constexpr std::string_view kProbeFile = "%health-probe";
constexpr int64_t kMaxWindowNs = 60'000'000'000;  // latency max: this window and the last

std::string Ms(std::chrono::milliseconds d) {
  return std::to_string(d.count());
}

void FetchMax(std::atomic<int64_t>& a, int64_t v) {
  int64_t cur = a.load(std::memory_order_relaxed);
  while (v > cur && !a.compare_exchange_weak(cur, v, std::memory_order_relaxed)) {
  }
}

}  // namespace

HealthCheckedDisk::Health::Health(std::string endpoint, std::shared_ptr<StorageApi> inner,
                                  const HealthOptions& options, Reconnector reconnect)
    : endpoint_(std::move(endpoint)),
      options_(options),
      reconnect_(std::move(reconnect)),
      inner_(std::move(inner)) {
  needs_reconnect_ = inner_ == nullptr;
  online_ = inner_ != nullptr;
}

HealthCheckedDisk::Health::~Health() {
  stop_monitor();
}

int64_t HealthCheckedDisk::Health::NowNs() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

int64_t HealthCheckedDisk::Health::deadline_ns(DriveCall call) const {
  auto d = IsDataCall(call) ? options_.data_deadline : options_.meta_deadline;
  return std::chrono::duration_cast<std::chrono::nanoseconds>(d).count();
}

void HealthCheckedDisk::Health::start_monitor() {
  monitor_ = std::thread([this] {
    NameThisThread("fs-drive-health");
    monitor_loop();
  });
}

void HealthCheckedDisk::Health::stop_monitor() {
  {
    std::lock_guard<std::mutex> lock(stop_mu_);
    stop_ = true;
  }
  stop_cv_.notify_all();
  if (monitor_.joinable()) monitor_.join();
}

std::shared_ptr<StorageApi> HealthCheckedDisk::Health::enter(InFlight& call, DriveCall kind) {
  if (!online()) return nullptr;
  call.call = kind;
  call.start_ns = NowNs();
  call.deadline_ns = call.start_ns + deadline_ns(kind);
  std::lock_guard<std::mutex> lock(mu_);
  if (!online_.load(std::memory_order_relaxed) || inner_ == nullptr) return nullptr;
  call.generation = generation_;
  call.prev = nullptr;
  call.next = calls_;
  if (calls_ != nullptr) calls_->prev = &call;
  calls_ = &call;
  return inner_;
}

void HealthCheckedDisk::Health::leave(InFlight& call, const Status& result) {
  const int64_t now = NowNs();
  const int64_t took = now - call.start_ns;
  Stats& st = stats_[static_cast<size_t>(call.call)];
  // A non-blocking attempt that would have blocked did nothing: the blocking call made
  // instead is the one that counts.
  if (result.code() != Code::kWouldBlock) {
    st.calls.fetch_add(1, std::memory_order_relaxed);
    int64_t avg = st.avg_ns.load(std::memory_order_relaxed);
    // A racy moving average: a lost update among concurrent calls costs one sample.
    st.avg_ns.store(avg == 0 ? took : avg + (took - avg) / 8, std::memory_order_relaxed);
    FetchMax(st.max_ns, took);
  }
  const bool late = now > call.deadline_ns;
  const bool vanished = result.code() == Code::kDiskNotFound;
  bool went_offline = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (call.prev != nullptr) call.prev->next = call.next;
    if (call.next != nullptr) call.next->prev = call.prev;
    if (calls_ == &call) calls_ = call.next;
    // Calls of an earlier connection say nothing about the current one.
    if ((late || vanished) && call.generation == generation_) {
      went_offline = go_offline_locked(vanished);
    }
  }
  if (late) timeouts_.fetch_add(1, std::memory_order_relaxed);
  if (went_offline && vanished) {
    obs::Log(obs::Level::kWarning, "drive offline: not found (unmounted, removed or replaced)",
             {{"DRIVE", endpoint_}, {"CALL", DriveCallName(call.call)}});
  } else if (went_offline) {
    obs::Log(obs::Level::kWarning, "drive offline: a call ran past its deadline",
             {{"DRIVE", endpoint_},
              {"CALL", DriveCallName(call.call)},
              {"MS", std::to_string(took / 1'000'000)}});
  }
}

bool HealthCheckedDisk::Health::go_offline_locked(bool vanished) {
  needs_reconnect_ = needs_reconnect_ || (vanished && reconnect_);
  if (!online_.load(std::memory_order_relaxed)) return false;
  online_.store(false, std::memory_order_release);
  ++generation_;
  offline_events_.fetch_add(1, std::memory_order_relaxed);
  last_probe_error_.clear();
  return true;
}

CallLatency HealthCheckedDisk::Health::latency(DriveCall call) const {
  const Stats& st = stats_[static_cast<size_t>(call)];
  CallLatency out;
  out.avg_seconds = static_cast<double>(st.avg_ns.load(std::memory_order_relaxed)) * 1e-9;
  out.max_seconds = static_cast<double>(std::max(st.max_ns.load(std::memory_order_relaxed),
                                                 st.prev_max_ns.load(std::memory_order_relaxed))) *
                    1e-9;
  out.calls = st.calls.load(std::memory_order_relaxed);
  return out;
}

void HealthCheckedDisk::Health::set_on_online(std::function<void(bool)> fn) {
  std::lock_guard<std::mutex> lock(mu_);
  on_online_ = std::move(fn);
}

void HealthCheckedDisk::Health::monitor_loop() {
  const auto shortest = std::min(options_.data_deadline, options_.meta_deadline);
  const auto tick = std::clamp<std::chrono::milliseconds>(
      shortest / 4, std::chrono::milliseconds(5), std::chrono::milliseconds(500));
  int64_t next_probe = NowNs() + std::chrono::nanoseconds(options_.probe_interval).count();
  int64_t next_window = NowNs() + kMaxWindowNs;
  std::unique_lock<std::mutex> lock(stop_mu_);
  while (!stop_cv_.wait_for(lock, tick, [this] { return stop_; })) {
    lock.unlock();
    const int64_t now = NowNs();
    if (online()) {
      check_deadlines();
      next_probe = now + std::chrono::nanoseconds(options_.probe_interval).count();
    } else if (now >= next_probe) {
      probe();  // may block on a hung device; this drive is offline meanwhile
      next_probe = NowNs() + std::chrono::nanoseconds(options_.probe_interval).count();
    }
    if (now >= next_window) {
      for (Stats& st : stats_) {
        st.prev_max_ns.store(st.max_ns.exchange(0, std::memory_order_relaxed),
                             std::memory_order_relaxed);
      }
      next_window = now + kMaxWindowNs;
    }
    lock.lock();
  }
}

void HealthCheckedDisk::Health::check_deadlines() {
  const int64_t now = NowNs();
  DriveCall late = DriveCall::kCount;
  int64_t age_ns = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (InFlight* c = calls_; c != nullptr; c = c->next) {
      if (c->generation == generation_ && now > c->deadline_ns) {
        late = c->call;
        age_ns = now - c->start_ns;
        break;
      }
    }
    if (late == DriveCall::kCount || !go_offline_locked(false)) return;
  }
  obs::Log(
      obs::Level::kWarning, "drive offline: a call ran past its deadline",
      {{"DRIVE", endpoint_},
       {"CALL", DriveCallName(late)},
       {"MS", std::to_string(age_ns / 1'000'000)},
       {"DEADLINE_MS", Ms(IsDataCall(late) ? options_.data_deadline : options_.meta_deadline)}});
}

Status HealthCheckedDisk::Health::probe_in_place(StorageApi& drive) {
  const int64_t start = NowNs();
  if (auto info = drive.disk_info(); !info) return info.error();
  FS_RETURN_IF_ERROR(drive.write_all(kSysVolume, kTmpKey, kProbeFile, "probe"));
  auto back = drive.read_all(kSysVolume, kTmpKey, kProbeFile);
  if (!back) return back.error();
  if (*back != "probe") return Status(Code::kCorrupt, "probe read back other bytes");
  FS_RETURN_IF_ERROR(drive.delete_path(kSysVolume, kTmpKey, kProbeFile, false));
  if (NowNs() - start > deadline_ns(DriveCall::kDiskInfo)) {
    return Status(Code::kTimeout, "probe slower than the metadata deadline");
  }
  return Status::Ok();
}

void HealthCheckedDisk::Health::probe() {
  std::shared_ptr<StorageApi> drive;
  bool reconnect = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    drive = inner_;
    reconnect = needs_reconnect_ && reconnect_;
  }
  Status failed;
  if (reconnect) {
    Result<Reconnected> r = reconnect_();
    if (r && r->drive != nullptr) return come_online(std::move(r->drive), true, r->reformatted);
    failed = r ? Status(Code::kDiskNotFound, "no drive") : r.error();
  } else if (drive != nullptr) {
    failed = probe_in_place(*drive);
    if (failed.ok()) return come_online(std::move(drive), false, false);
    if (failed == Code::kDiskNotFound && reconnect_) {
      std::lock_guard<std::mutex> lock(mu_);
      needs_reconnect_ = true;
    }
  } else {
    return;  // offline for good: no drive and no way to reconnect
  }
  std::string why(CodeName(failed.code()));
  if (!failed.message().empty()) why.append(": ").append(failed.message());
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (why == last_probe_error_) return;
    last_probe_error_ = why;
  }
  obs::Log(obs::Level::kInfo, "drive still offline", {{"DRIVE", endpoint_}, {"ERROR", why}});
}

void HealthCheckedDisk::Health::come_online(std::shared_ptr<StorageApi> drive, bool reconnected,
                                            bool reformatted) {
  std::function<void(bool)> notify;
  {
    std::lock_guard<std::mutex> lock(mu_);
    notify = on_online_;
  }
  // Before the drive serves a call: the engine marks an empty replacement as refilling, so
  // its empty answers never count as versions known to be absent.
  if (notify) notify(reformatted);
  {
    std::lock_guard<std::mutex> lock(mu_);
    inner_ = std::move(drive);
    needs_reconnect_ = false;
    ++generation_;
    online_.store(true, std::memory_order_release);
  }
  if (reformatted) {
    obs::Log(obs::Level::kNotice, "drive rejoined: empty replacement formatted; it will be healed",
             {{"DRIVE", endpoint_}});
  } else {
    obs::Log(obs::Level::kNotice, reconnected ? "drive rejoined" : "drive back online",
             {{"DRIVE", endpoint_}});
  }
}

}  // namespace flashstor::storage
