// NamespaceLock: sharded table of reader/writer entries with bounded waits.
#include "flashstor/object/namespace_lock.h"

#include <functional>

namespace flashstor::object {

NamespaceLock::Guard::Guard(Guard&& other) noexcept
    : owner_(other.owner_), resource_(std::move(other.resource_)), write_(other.write_) {
  other.owner_ = nullptr;
}

NamespaceLock::Guard& NamespaceLock::Guard::operator=(Guard&& other) noexcept {
  if (this != &other) {
    release();
    owner_ = other.owner_;
    resource_ = std::move(other.resource_);
    write_ = other.write_;
    other.owner_ = nullptr;
  }
  return *this;
}

void NamespaceLock::Guard::release() {
  if (owner_ != nullptr) owner_->unlock(resource_, write_);
  owner_ = nullptr;
}

NamespaceLock::Shard& NamespaceLock::shard_for(std::string_view resource) {
  return shards_[std::hash<std::string_view>{}(resource) % kShards];
}

// A reader waits while a writer holds the entry or waits for it (writer preference), unless
// it has been waiting since before the last writer's turn ended: those are owed their turn.
bool NamespaceLock::wait_reader(Shard& s, Entry& e, std::unique_lock<std::mutex>& lock,
                                std::chrono::milliseconds timeout) {
  const uint64_t generation = e.write_releases;
  auto owed = [&e, generation] { return generation < e.write_releases; };
  auto can = [&e, &owed] { return !e.writer && (e.waiting_writers == 0 || owed()); };
  if (can()) return true;
  ++e.waiting_readers;
  bool ok = s.cv.wait_for(lock, timeout, can);
  --e.waiting_readers;
  if (owed() && e.readers_owed > 0) {
    --e.readers_owed;
    if (e.readers_owed == 0) s.cv.notify_all();  // the next writer may go
  }
  return ok;
}

// A writer waits for the holders to leave and for the readers owed a turn to take it.
bool NamespaceLock::wait_writer(Shard& s, Entry& e, std::unique_lock<std::mutex>& lock,
                                std::chrono::milliseconds timeout) {
  auto can = [&e] { return !e.writer && e.readers == 0 && e.readers_owed == 0; };
  if (can()) return true;
  ++e.waiting_writers;
  bool ok = s.cv.wait_for(lock, timeout, can);
  --e.waiting_writers;
  if (!ok && e.waiting_writers == 0) s.cv.notify_all();  // readers held back by this writer
  return ok;
}

Result<NamespaceLock::Guard> NamespaceLock::lock(std::string_view resource, bool write,
                                                 std::chrono::milliseconds timeout) {
  Shard& s = shard_for(resource);
  std::string name(resource);
  std::unique_lock<std::mutex> lock(s.mu);
  Entry& e = s.entries[name];  // references stay valid across rehashing
  const bool ok = write ? wait_writer(s, e, lock, timeout) : wait_reader(s, e, lock, timeout);
  if (!ok) {
    if (e.idle()) s.entries.erase(name);
    return Err(Code::kTimeout, "namespace lock timeout");
  }
  if (write) {
    e.writer = true;
  } else {
    ++e.readers;
  }
  return Guard(this, std::move(name), write);
}

void NamespaceLock::unlock(const std::string& resource, bool write) {
  Shard& s = shard_for(resource);
  std::lock_guard<std::mutex> lock(s.mu);
  auto it = s.entries.find(resource);
  if (it == s.entries.end()) return;
  Entry& e = it->second;
  if (write) {
    e.writer = false;
    ++e.write_releases;
    e.readers_owed = e.waiting_readers;  // they go before the next writer
  } else {
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
