// Locker: the interface of the namespace locks (per-resource reader/writer locks), so a
// distributed lock can replace the in-process NamespaceLock. Contract:
// - acquire: shared (read) or exclusive (write) lock, waiting at most timeout
//   (kDeadlineExceeded: a server-side wait ran out, 503 SlowDown), and no longer than until
//   cancel fires (kCancelled: the client went away). Callers serving a request use
//   lock(resource, write, ctx): ctx.bound(kDefaultTimeout) and ctx's token, so no wait
//   outlives the request's deadline or its client. Writers are preferred over new readers.
// - Leases, read and write locks alike: a lock is held until its lease expires unless the
//   holder refreshes it; an expired lease is reclaimable by the next waiter (a writer waiting
//   behind an expired reader or writer, a reader behind an expired writer), and its holder's
//   release then does nothing. An implementation may refresh implicitly (in-process: the
//   holder lives as long as the process, so the lease never expires unless one is configured).
// - Tokens: every lock carries its own token (Guard::token), so the late release of a
//   reclaimed lock cannot release another holder's. A write lock's token is its fencing token
//   (Guard::fence), strictly increasing per resource: a commit passes it to check_fence, which
//   refuses (kDeadlineExceeded, "lock lost") a token that is not the current holder's live
//   lease, so a holder that lost its lock cannot commit late. A read lock fences nothing
//   (fence() == 0) and check() of it is Ok: a read commits nothing, so losing its lease cannot
//   corrupt anything; a reader that must know it still holds its lock calls refresh.
// Thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "flashstor/common/status.h"
#include "flashstor/object/request_context.h"
#include "flashstor/task/cancel_token.h"

namespace flashstor::object {

class Locker {
 public:
  static constexpr std::chrono::milliseconds kDefaultTimeout{30000};

  // Releases the lock it holds on destruction. Movable.
  class Guard {
   public:
    Guard() = default;
    Guard(Guard&& other) noexcept
        : owner_(std::exchange(other.owner_, nullptr)),
          resource_(std::move(other.resource_)),
          write_(other.write_),
          token_(other.token_) {}
    Guard& operator=(Guard&& other) noexcept;
    ~Guard() { release(); }
    void release();
    bool held() const { return owner_ != nullptr; }
    bool write() const { return write_; }
    // This lock's token, unique per resource among its holders (0 for an empty guard).
    uint64_t token() const { return token_; }
    // The write lock's fencing token (0 for a read lock or an empty guard).
    uint64_t fence() const { return write_ ? token_ : 0; }
    const std::string& resource() const { return resource_; }

   private:
    friend class Locker;
    Guard(Locker* owner, std::string resource, bool write, uint64_t token)
        : owner_(owner), resource_(std::move(resource)), write_(write), token_(token) {}
    Locker* owner_ = nullptr;
    std::string resource_;
    bool write_ = false;
    uint64_t token_ = 0;
  };

  virtual ~Locker() = default;
  static inline const task::CancelToken kNeverCancelled{};

  Result<Guard> lock(std::string_view resource, bool write,
                     std::chrono::milliseconds timeout = kDefaultTimeout) {
    return acquire(resource, write, timeout, kNeverCancelled);
  }
  // A request's lock: waits within its deadline (ctx.bound(kDefaultTimeout)) and its token.
  Result<Guard> lock(std::string_view resource, bool write, const RequestContext& ctx) {
    return acquire(resource, write, ctx.bound(kDefaultTimeout), ctx.cancel);
  }
  virtual Result<Guard> acquire(std::string_view resource, bool write,
                                std::chrono::milliseconds timeout,
                                const task::CancelToken& cancel) = 0;
  // Extends the lease of a read or write lock; kDeadlineExceeded when it was already lost
  // (expired or reclaimed). Ok for an empty guard.
  virtual Status refresh(const Guard& guard) = 0;
  // Ok while fence is the live write lock of resource; else kDeadlineExceeded (a stale token:
  // the holder overran its lease).
  virtual Status check_fence(std::string_view resource, uint64_t fence) = 0;
  // Ok for an empty guard or a read lock, else check_fence of its resource and token.
  Status check(const Guard& guard) {
    if (!guard.held() || !guard.write()) return Status::Ok();
    return check_fence(guard.resource(), guard.fence());
  }

 protected:
  Guard make_guard(std::string resource, bool write, uint64_t token) {
    return Guard(this, std::move(resource), write, token);
  }
  // Called once by the guard; a lock whose lease was reclaimed releases nothing.
  virtual void release(const std::string& resource, bool write, uint64_t token) = 0;
};

}  // namespace flashstor::object
