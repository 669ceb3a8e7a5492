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

Result<NamespaceLock::Guard> NamespaceLock::lock(std::string_view resource, bool write,
                                                 std::chrono::milliseconds timeout) {
  Shard& s = shard_for(resource);
  std::string name(resource);
  std::unique_lock<std::mutex> lock(s.mu);
  Entry& e = s.entries[name];  // references stay valid across rehashing
  auto can = [&e, write] { return write ? !e.writer && e.readers == 0 : !e.writer; };
  if (!can()) {
    ++e.waiters;
    bool ok = s.cv.wait_for(lock, timeout, can);
    --e.waiters;
    if (!ok) {
      if (e.readers == 0 && !e.writer && e.waiters == 0) s.entries.erase(name);
      return Err(Code::kTimeout, "namespace lock timeout");
    }
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
  } else {
    --e.readers;
  }
  if (e.readers == 0 && !e.writer && e.waiters == 0) {
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
