// EventQueue: majority-written event files per target, and the in-order delivery loop.
#include "flashstor/notify/event_queue.h"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <set>

#include "flashstor/common/thread_name.h"
#include "flashstor/obs/log.h"

namespace flashstor::notify {
namespace {

constexpr std::string_view kEventsKey = "events";
constexpr size_t kMaxListing = 1'000'000;

std::string EventFile(uint64_t seq) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%020llu.json", static_cast<unsigned long long>(seq));
  return buf;
}

// "00000000000000000042.json" -> 42; 0 for anything else (temp names, strays).
uint64_t SeqOf(std::string_view name) {
  if (name.size() != 25 || !name.ends_with(".json")) return 0;
  uint64_t seq = 0;
  auto [p, ec] = std::from_chars(name.data(), name.data() + 20, seq);
  return ec == std::errc() && p == name.data() + 20 ? seq : 0;
}

}  // namespace

EventQueue::EventQueue(TargetOptions options,
                       std::span<const std::shared_ptr<storage::StorageApi>> drives,
                       object::WorkerPool& pool)
    : options_(std::move(options)), drives_(drives.begin(), drives.end()), pool_(pool) {}

EventQueue::~EventQueue() {
  stop();
}

std::string EventQueue::key() const {
  return std::string(kEventsKey) + "/" + options_.id;
}

void EventQueue::start() {
  load_backlog();
  thread_ = std::thread([this] {
    NameThisThread("fs-notify");
    loop();
  });
}

void EventQueue::stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_.store(true);
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void EventQueue::load_backlog() {
  const std::string dir = key();
  std::vector<std::set<uint64_t>> listed(drives_.size());
  pool_.run(drives_.size(), [&](size_t d) {
    if (drives_[d] == nullptr) return;
    auto names = drives_[d]->list_dir(storage::kSysVolume, dir, "", kMaxListing);
    if (!names) return;
    for (const std::string& n : *names) {
      if (uint64_t seq = SeqOf(n)) listed[d].insert(seq);
    }
  });
  // An event a minority of drives holds was never acknowledged (its write failed or was cut
  // by a crash before the answer) and might also be a remnant of a delivered one whose removal
  // missed a drive: only events a majority holds are the queue; the rest are removed.
  std::map<uint64_t, size_t> votes;
  for (const auto& s : listed) {
    for (uint64_t seq : s) ++votes[seq];
  }
  const size_t quorum = drives_.size() / 2 + 1;
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [seq, n] : votes) {
    next_seq_ = std::max(next_seq_, seq + 1);
    if (n < quorum) {
      remove_event(seq);
      continue;
    }
    auto body = read_event(seq);
    if (!body) continue;
    pending_[seq] = body->size();
    reserved_events_ += 1;
    reserved_bytes_ += body->size();
  }
  if (!pending_.empty()) {
    obs::Log(obs::Level::kNotice, "event queue backlog",
             {{"TARGET", options_.id}, {"EVENTS", std::to_string(pending_.size())}});
  }
}

bool EventQueue::enqueue(std::string message) {
  uint64_t seq = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (reserved_events_ + 1 > options_.max_events ||
        reserved_bytes_ + message.size() > options_.max_bytes) {
      dropped_full_.fetch_add(1, std::memory_order_relaxed);
      return false;
    }
    seq = next_seq_++;
    reserved_events_ += 1;
    reserved_bytes_ += message.size();
  }
  const std::string dir = key();
  const std::string file = EventFile(seq);
  std::vector<bool> ok(drives_.size(), false);
  pool_.run(drives_.size(), [&](size_t d) {
    if (drives_[d] != nullptr) {
      ok[d] = drives_[d]->write_all(storage::kSysVolume, dir, file, message).ok();
    }
  });
  const size_t written = static_cast<size_t>(std::count(ok.begin(), ok.end(), true));
  if (written < drives_.size() / 2 + 1) {
    remove_event(seq);
    std::lock_guard<std::mutex> lock(mu_);
    reserved_events_ -= 1;
    reserved_bytes_ -= message.size();
    dropped_errors_.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    pending_[seq] = message.size();
  }
  queued_.fetch_add(1, std::memory_order_relaxed);
  cv_.notify_all();
  return true;
}

Result<std::string> EventQueue::read_event(uint64_t seq) {
  const std::string dir = key();
  const std::string file = EventFile(seq);
  Status last(Code::kFileNotFound, "event missing");
  for (const auto& drive : drives_) {
    if (drive == nullptr) continue;
    auto body = drive->read_all(storage::kSysVolume, dir, file);
    if (body) return body;
    last = body.error();
  }
  return std::unexpected(last);
}

void EventQueue::remove_event(uint64_t seq) {
  const std::string dir = key();
  const std::string file = EventFile(seq);
  pool_.run(drives_.size(), [&](size_t d) {
    if (drives_[d] != nullptr) {
      (void)drives_[d]->delete_path(storage::kSysVolume, dir, file, false);
    }
  });
}

EventQueue::Attempt EventQueue::deliver(uint64_t seq) {
  auto body = read_event(seq);
  if (!body) {
    // Unreadable on every drive: nothing can ever deliver it; it leaves the queue as dropped.
    obs::Log(obs::Level::kError, "queued event unreadable, dropped", {{"TARGET", options_.id}});
    dropped_errors_.fetch_add(1, std::memory_order_relaxed);
    return Attempt::kDropped;
  }
  auto status =
      PostJson(options_.url, *body, options_.bearer_token, options_.attempt_timeout, stop_);
  if (status && *status >= 200 && *status < 300) return Attempt::kDelivered;
  if (!stop_.load()) failed_.fetch_add(1, std::memory_order_relaxed);
  return Attempt::kFailed;
}

void EventQueue::loop() {
  std::chrono::milliseconds backoff{0};
  bool warned = false;
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_.load()) {
    if (pending_.empty()) {
      cv_.wait(lock, [this] { return stop_.load() || !pending_.empty(); });
      continue;
    }
    const uint64_t seq = pending_.begin()->first;
    lock.unlock();
    const Attempt attempt = deliver(seq);
    const bool delivered = attempt != Attempt::kFailed;  // either way, it leaves the queue
    if (delivered) remove_event(seq);
    if (attempt == Attempt::kDelivered) delivered_.fetch_add(1, std::memory_order_relaxed);
    lock.lock();
    if (delivered) {
      auto it = pending_.find(seq);
      if (it != pending_.end()) {
        reserved_events_ -= 1;
        reserved_bytes_ -= it->second;
        pending_.erase(it);
      }
      backoff = std::chrono::milliseconds{0};
      warned = false;
      continue;
    }
    if (stop_.load()) break;
    backoff =
        backoff.count() == 0 ? options_.backoff_min : std::min(backoff * 2, options_.backoff_max);
    if (!warned) {
      obs::Log(obs::Level::kWarning, "webhook delivery failed, retrying",
               {{"TARGET", options_.id}});
      warned = true;
    }
    cv_.wait_for(lock, backoff, [this] { return stop_.load(); });
  }
}

QueueStats EventQueue::stats() const {
  QueueStats s;
  s.queued = queued_.load(std::memory_order_relaxed);
  s.delivered = delivered_.load(std::memory_order_relaxed);
  s.failed_attempts = failed_.load(std::memory_order_relaxed);
  s.dropped_full = dropped_full_.load(std::memory_order_relaxed);
  s.dropped_errors = dropped_errors_.load(std::memory_order_relaxed);
  std::lock_guard<std::mutex> lock(mu_);
  s.length = pending_.size();
  for (const auto& [seq, bytes] : pending_) s.bytes += bytes;
  return s;
}

}  // namespace flashstor::notify
