// CancelToken: tells a request's server-side waits that its client went away (HTTP/1.1
// connection closed or reset, HTTP/2 stream reset or connection lost), so they end now instead
// of at the request's deadline. A small ref-counted handle: the connection (or stream) and the
// request's RequestContext share one, and copies share it too (a fan-out's stragglers keep
// theirs alive after the request returned). Local to this process: a call carried to another
// node maps it to closing the stream to that peer, which cancels the peer's own token.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>

#include "flashstor/task/condition.h"

namespace flashstor::task {

class Fiber;

class CancelToken {
  struct State;  // the flag, the registered waits, the owner's hook (below)

 public:
  // The owner's "a wait is about to park" hook (the connection arms its socket for a close, so
  // the event loop notices the client leaving). Runs on the owner's fiber only, where the
  // request is alive; may run once per wait.
  using ParkHook = void (*)(void* arg);

  CancelToken() = default;    // empty: never cancelled; registering a wait with it does nothing
  static CancelToken Make();  // a live token: one small allocation
  CancelToken(const CancelToken& o) noexcept : state_(o.state_) { ref(); }
  CancelToken(CancelToken&& o) noexcept : state_(o.state_) { o.state_ = nullptr; }
  CancelToken& operator=(const CancelToken& o) noexcept;
  CancelToken& operator=(CancelToken&& o) noexcept;
  ~CancelToken() { unref(); }

  bool valid() const { return state_ != nullptr; }
  bool cancelled() const {
    return state_ != nullptr && state_->cancelled.load(std::memory_order_acquire);
  }
  // Any thread, idempotent: sets the flag and wakes every wait registered with the token.
  void cancel() const;

  // The owner, between requests: true when no copy is left elsewhere (no straggler holds one),
  // so the token may serve the next request after reset(), which clears the flag.
  bool unique() const {
    return state_ != nullptr && state_->refs.load(std::memory_order_acquire) == 1;
  }
  void reset();
  // The owner, on its request's fiber: hook(arg) runs when a wait of that fiber registers
  // (nullptr clears it, before the request ends).
  void set_park_hook(ParkHook hook, void* arg);

  // A wait that cancel() must end, registered for its scope: cancel() locks mu and notifies cv,
  // so the wait's predicate must test cancelled(). Construct and destroy it without holding mu
  // (cancel() takes the token's lock, then mu). Only where a wait really parks: registering
  // takes the token's lock and runs the owner's park hook (a system call on a connection).
  class Watch {
   public:
    Watch(const CancelToken& token, std::mutex& mu, Condition& cv);
    ~Watch();
    Watch(const Watch&) = delete;
    Watch& operator=(const Watch&) = delete;

   private:
    friend class CancelToken;
    State* state_;  // referenced: it outlives the wait whatever the token's owner does
    std::mutex& mu_;
    Condition& cv_;
    Watch* prev_ = nullptr;
    Watch* next_ = nullptr;
  };

 private:
  struct State {
    std::atomic<uint32_t> refs{1};
    std::atomic<bool> cancelled{false};
    std::mutex mu;  // the watches and the hook
    Watch* watches = nullptr;
    ParkHook hook = nullptr;
    void* hook_arg = nullptr;
    const Fiber* hook_fiber = nullptr;
  };
  void ref() const { Ref(state_); }
  void unref() {
    Unref(state_);
    state_ = nullptr;
  }
  static void Ref(State* s) {
    if (s != nullptr) s->refs.fetch_add(1, std::memory_order_relaxed);
  }
  static void Unref(State* s);

  State* state_ = nullptr;
};

}  // namespace flashstor::task
