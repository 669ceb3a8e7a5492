// NamespaceLock: sharded table of reader/writer entries with bounded waits, tokens (a write
// lock's fences its commit) and, when configured, leases of read and write locks.
#include "flashstor/object/namespace_lock.h"

#include <algorithm>
#include <functional>

namespace flashstor::object {

Locker::Guard& Locker::Guard::operator=(Guard&& other) noexcept {
  if (this != &other) {
    release();
    owner_ = other.owner_;
    resource_ = std::move(other.resource_);
    write_ = other.write_;
    token_ = other.token_;
    other.owner_ = nullptr;
  }
  return *this;
}

void Locker::Guard::release() {
  if (owner_ != nullptr) owner_->release(resource_, write_, token_);
  owner_ = nullptr;
}

NamespaceLock::Shard& NamespaceLock::shard_for(std::string_view resource) {
  return shards_[std::hash<std::string_view>{}(resource) % kShards];
}

void NamespaceLock::end_writer_turn(Entry& e) {
  e.writer = false;
  e.fence = 0;
  e.lease_end = Clock::time_point::max();
  ++e.write_releases;
  e.readers_owed = e.waiting_readers;  // they go before the next writer
}

void NamespaceLock::reclaim_expired(Shard& s, Entry& e) {
  const bool writer_may_expire = e.writer && e.lease_end != Clock::time_point::max();
  if (!writer_may_expire && e.reader_leases.empty()) return;  // no lease: no clock read
  reclaim_expired_leases(s, e);
}

void NamespaceLock::reclaim_expired_leases(Shard& s, Entry& e) {
  const auto now = Clock::now();
  if (e.writer && now >= e.lease_end) {
    end_writer_turn(e);
    s.cv.notify_all();
  }
  const size_t before = e.reader_leases.size();
  std::erase_if(e.reader_leases, [now](const ReaderLease& r) { return now >= r.end; });
  if (e.reader_leases.size() != before) {
    e.readers -= static_cast<int>(before - e.reader_leases.size());
    if (e.readers == 0) s.cv.notify_all();  // a writer may go
  }
}

NamespaceLock::Clock::time_point NamespaceLock::next_lease_end(const Entry& e) {
  Clock::time_point end = e.writer ? e.lease_end : Clock::time_point::max();
  for (const ReaderLease& r : e.reader_leases) end = std::min(end, r.end);
  return end;
}

bool NamespaceLock::lease_expired(const Entry& e) {
  const auto end = next_lease_end(e);
  return end != Clock::time_point::max() && Clock::now() >= end;
}

void NamespaceLock::erase_if_idle(Shard& s, std::unordered_map<std::string, Entry>::iterator it) {
  if (it->second.idle()) s.entries.erase(it);
}

template <typename Pred>
bool NamespaceLock::wait_until_can(Shard& s, Entry& e, std::unique_lock<std::mutex>& lock,
                                   Wait& wait, Pred can) {
  const auto deadline = Clock::now() + wait.timeout;
  while (true) {
    reclaim_expired(s, e);
    if (can()) return true;
    if (wait.cancel.cancelled()) return false;
    const auto now = Clock::now();
    if (now >= deadline) return false;
    if (wait.cancel.valid() && !wait.watch) {
      // Registered outside the shard's mutex (the token's cancel() takes its own lock, then
      // this one), then tested again: e stays listed, since this wait counts in it.
      lock.unlock();
      wait.watch.emplace(wait.cancel, s.mu, s.cv);
      lock.lock();
      continue;
    }
    // Wake at the earliest lease end too: nobody notifies when a lease runs out.
    const auto until = std::min(deadline, next_lease_end(e));
    auto left = std::chrono::ceil<std::chrono::milliseconds>(until - now);
    s.cv.wait_for(lock, std::max(left, std::chrono::milliseconds(1)),
                  [&] { return can() || lease_expired(e) || wait.cancel.cancelled(); });
  }
}

// A reader waits while a writer holds the entry or waits for it (writer preference), unless
// it has been waiting since before the last writer's turn ended: those are owed their turn.
bool NamespaceLock::wait_reader(Shard& s, Entry& e, std::unique_lock<std::mutex>& lock,
                                Wait& wait) {
  reclaim_expired(s, e);
  const uint64_t generation = e.write_releases;
  auto owed = [&e, generation] { return generation < e.write_releases; };
  auto can = [&e, &owed] { return !e.writer && (e.waiting_writers == 0 || owed()); };
  if (can()) return true;
  ++e.waiting_readers;
  bool ok = wait_until_can(s, e, lock, wait, can);
  --e.waiting_readers;
  if (owed() && e.readers_owed > 0) {
    --e.readers_owed;
    if (e.readers_owed == 0) s.cv.notify_all();  // the next writer may go
  }
  return ok;
}

// A writer waits for the holders to leave and for the readers owed a turn to take it.
bool NamespaceLock::wait_writer(Shard& s, Entry& e, std::unique_lock<std::mutex>& lock,
                                Wait& wait) {
  auto can = [&e] { return !e.writer && e.readers == 0 && e.readers_owed == 0; };
  reclaim_expired(s, e);
  if (can()) return true;
  ++e.waiting_writers;
  bool ok = wait_until_can(s, e, lock, wait, can);
  --e.waiting_writers;
  if (!ok && e.waiting_writers == 0) s.cv.notify_all();  // readers held back by this writer
  return ok;
}

Result<Locker::Guard> NamespaceLock::acquire(std::string_view resource, bool write,
                                             std::chrono::milliseconds timeout,
                                             const task::CancelToken& cancel) {
  Shard& s = shard_for(resource);
  std::string name(resource);
  Wait wait{timeout, cancel, std::nullopt};  // outlives the lock below: its watch drops unlocked
  std::unique_lock<std::mutex> lock(s.mu);
  Entry& e = s.entries[name];  // references stay valid across rehashing
  const bool ok = write ? wait_writer(s, e, lock, wait) : wait_reader(s, e, lock, wait);
  if (!ok) {
    if (e.idle()) s.entries.erase(name);
    if (cancel.cancelled()) return Err(Code::kCancelled, "namespace lock wait: client gone");
    return Err(Code::kDeadlineExceeded, "namespace lock wait timed out");
  }
  const uint64_t token = next_token_.fetch_add(1, std::memory_order_relaxed);
  const auto lease_end = lease_.count() > 0 ? Clock::now() + lease_ : Clock::time_point::max();
  if (write) {
    e.writer = true;
    e.fence = token;
    e.lease_end = lease_end;
  } else {
    ++e.readers;
    if (lease_.count() > 0) e.reader_leases.push_back({token, lease_end});
  }
  return make_guard(std::move(name), write, token);
}

Status NamespaceLock::refresh(const Guard& guard) {
  // Without a lease no lock is ever reclaimed: a held read lock is still held.
  if (!guard.held() || (!guard.write() && lease_.count() == 0)) return Status::Ok();
  Shard& s = shard_for(guard.resource());
  std::lock_guard<std::mutex> lock(s.mu);
  auto it = s.entries.find(guard.resource());
  if (it == s.entries.end()) return Status(Code::kDeadlineExceeded, "lock lost");
  Entry& e = it->second;
  reclaim_expired(s, e);
  Clock::time_point* lease_end = nullptr;
  if (guard.write()) {
    if (e.writer && e.fence == guard.token()) lease_end = &e.lease_end;
  } else {
    for (ReaderLease& r : e.reader_leases) {
      if (r.token == guard.token()) lease_end = &r.end;
    }
  }
  if (lease_end == nullptr) {
    erase_if_idle(s, it);
    return Status(Code::kDeadlineExceeded, "lock lost");
  }
  if (lease_.count() > 0) *lease_end = Clock::now() + lease_;
  return Status::Ok();
}

Status NamespaceLock::check_fence(std::string_view resource, uint64_t fence) {
  Shard& s = shard_for(resource);
  std::lock_guard<std::mutex> lock(s.mu);
  auto it = s.entries.find(std::string(resource));
  if (it == s.entries.end())
    return Status(Code::kDeadlineExceeded, "lock lost (stale fencing token)");
  Entry& e = it->second;
  reclaim_expired(s, e);
  if (!e.writer || e.fence != fence || fence == 0) {
    erase_if_idle(s, it);
    return Status(Code::kDeadlineExceeded, "lock lost (stale fencing token)");
  }
  return Status::Ok();
}

void NamespaceLock::release(const std::string& resource, bool write, uint64_t token) {
  Shard& s = shard_for(resource);
  std::lock_guard<std::mutex> lock(s.mu);
  auto it = s.entries.find(resource);
  if (it == s.entries.end()) return;
  Entry& e = it->second;
  // A lock whose lease was reclaimed releases nothing (not its successor's lock).
  if (write) {
    if (!e.writer || e.fence != token) return;
    end_writer_turn(e);
  } else if (lease_.count() == 0) {
    --e.readers;  // without a lease no reader is reclaimed: the count is exact
  } else {
    auto r = std::find_if(e.reader_leases.begin(), e.reader_leases.end(),
                          [token](const ReaderLease& l) { return l.token == token; });
    if (r == e.reader_leases.end()) return;
    *r = e.reader_leases.back();
    e.reader_leases.pop_back();
    --e.readers;
  }
  if (e.idle()) {
    s.entries.erase(it);
  } else {
    s.cv.notify_all();
  }
}

size_t NamespaceLock::active() const {
  size_t n = 0;
  for (const Shard& s : shards_) {
    std::lock_guard<std::mutex> lock(s.mu);
    n += s.entries.size();
  }
  return n;
}

}  // namespace flashstor::object
