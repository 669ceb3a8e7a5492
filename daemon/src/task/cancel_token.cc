// CancelToken: the shared flag, the list of registered waits and the owner's park hook.
#include "flashstor/task/cancel_token.h"

#include "flashstor/task/fiber.h"

namespace flashstor::task {

CancelToken CancelToken::Make() {
  CancelToken t;
  t.state_ = new State();
  return t;
}

CancelToken& CancelToken::operator=(const CancelToken& o) noexcept {
  if (state_ != o.state_) {
    o.ref();
    unref();
    state_ = o.state_;
  }
  return *this;
}

CancelToken& CancelToken::operator=(CancelToken&& o) noexcept {
  if (this != &o) {
    unref();
    state_ = o.state_;
    o.state_ = nullptr;
  }
  return *this;
}

void CancelToken::Unref(State* s) {
  if (s != nullptr && s->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) delete s;
}

void CancelToken::cancel() const {
  if (state_ == nullptr || state_->cancelled.exchange(true, std::memory_order_acq_rel)) return;
  // Under each wait's own mutex: a waiter that tested the flag before it was set is listed on
  // its condition before it lets go of that mutex, so this notify reaches it.
  std::lock_guard<std::mutex> lock(state_->mu);
  for (Watch* w = state_->watches; w != nullptr; w = w->next_) {
    std::lock_guard<std::mutex> wait_lock(w->mu_);
    w->cv_.notify_all();
  }
}

void CancelToken::reset() {
  if (state_ == nullptr) return;
  state_->cancelled.store(false, std::memory_order_relaxed);
}

void CancelToken::set_park_hook(ParkHook hook, void* arg) {
  if (state_ == nullptr) return;
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->hook = hook;
  state_->hook_arg = arg;
  state_->hook_fiber = hook != nullptr ? CurrentFiber() : nullptr;
}

CancelToken::Watch::Watch(const CancelToken& token, std::mutex& mu, Condition& cv)
    : state_(token.state_), mu_(mu), cv_(cv) {
  State* s = state_;
  if (s == nullptr) return;
  Ref(s);
  ParkHook hook = nullptr;
  void* arg = nullptr;
  {
    std::lock_guard<std::mutex> lock(s->mu);
    next_ = s->watches;
    if (next_ != nullptr) next_->prev_ = this;
    s->watches = this;
    if (s->hook != nullptr && s->hook_fiber != nullptr && s->hook_fiber == CurrentFiber()) {
      hook = s->hook;
      arg = s->hook_arg;
    }
  }
  if (hook != nullptr) hook(arg);
}

CancelToken::Watch::~Watch() {
  State* s = state_;
  if (s == nullptr) return;
  {
    std::lock_guard<std::mutex> lock(s->mu);
    if (prev_ != nullptr) {
      prev_->next_ = next_;
    } else {
      s->watches = next_;
    }
    if (next_ != nullptr) next_->prev_ = prev_;
  }
  Unref(s);
}

}  // namespace flashstor::task
