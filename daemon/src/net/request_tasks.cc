// RequestTasks: share and budget admission under one mutex; tasks spawned on their loop.
#include "request_tasks.h"

#include "flashstor/net/event_loop.h"
#include "flashstor/obs/log.h"
#include "flashstor/task/scheduler.h"
#include "http_server_impl.h"

namespace flashstor::net {

RequestTasks::RequestTasks(size_t max_tasks, int client_share, int admission_timeout_ms,
                           http::Handler& handler, const ServerOptions& options, DoneFn done,
                           RefuseFn refuse, PostFn post, const std::atomic<bool>* cancel_waits)
    : max_tasks_(max_tasks < 1 ? 1 : max_tasks),
      admission_timeout_ms_(admission_timeout_ms),
      handler_(handler),
      options_(options),
      done_(std::move(done)),
      refuse_(std::move(refuse)),
      post_(std::move(post)),
      cancel_waits_(cancel_waits),
      shares_(client_share) {}

void RequestTasks::submit(Connection* c) {
  c->live->queued_ms = MonotonicMs();
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!shares_.try_start(c->live->client(), c)) {
      counters_.share_waits.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    if (running_ >= max_tasks_ || !budget_queue_.empty()) {
      budget_queue_.push_back(c);
      counters_.budget_waits.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    ++running_;
  }
  start(c);
}

void RequestTasks::start(Connection* c) {
  task::Scheduler* here = task::Scheduler::current();
  if (here != &c->loop->loop->scheduler()) {
    post_(c, [this, c] { start(c); });
    return;
  }
  if (!here->spawn([this, c] { run(c); })) {
    obs::Log(obs::Level::kWarning, "request task not started: out of memory",
             {{"REMOTE_ADDR", c->live->remote}});
    std::vector<Connection*> next;
    {
      std::lock_guard<std::mutex> lock(mu_);
      --running_;
      if (Connection* w = shares_.finish(c->live->client())) budget_queue_.push_back(w);
      admit_locked(next);
    }
    for (Connection* n : next) start(n);
    done_(c, AfterRequest::kClose);
  }
}

void RequestTasks::admit_locked(std::vector<Connection*>& out) {
  while (running_ < max_tasks_ && !budget_queue_.empty()) {
    out.push_back(budget_queue_.front());
    budget_queue_.pop_front();
    ++running_;
  }
}

bool RequestTasks::waiting_for_memory() {
  std::vector<Connection*> admitted;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (lent_ >= max_tasks_) return false;
    ++lent_;
    --running_;
    admit_locked(admitted);
  }
  for (Connection* n : admitted) start(n);
  return true;
}

void RequestTasks::done_waiting() {
  std::lock_guard<std::mutex> lock(mu_);
  --lent_;
  ++running_;
}

void RequestTasks::run(Connection* c) {
  task::SetMemoryWaitHook(this);
  AfterRequest next =
      ServeRequest(*c, handler_, options_, stopping_.load(), counters_, cancel_waits_);
  task::SetMemoryWaitHook(nullptr);
  counters_.completed.fetch_add(1, std::memory_order_relaxed);
  counters_.progress.fetch_add(1, std::memory_order_relaxed);
  std::vector<Connection*> admitted;
  {
    std::lock_guard<std::mutex> lock(mu_);
    --running_;
    // The next request of this address takes its place in the share, then waits its turn for
    // the budget behind the requests already waiting for it.
    if (Connection* w = shares_.finish(c->live->client())) budget_queue_.push_back(w);
    admit_locked(admitted);
  }
  for (Connection* n : admitted) start(n);
  done_(c, next);
}

bool RequestTasks::try_start_stream() {
  std::lock_guard<std::mutex> lock(mu_);
  if (running_ >= max_tasks_ || !budget_queue_.empty()) {
    counters_.budget_waits.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  ++running_;
  return true;
}

void RequestTasks::finish_stream() {
  counters_.completed.fetch_add(1, std::memory_order_relaxed);
  counters_.progress.fetch_add(1, std::memory_order_relaxed);
  std::vector<Connection*> admitted;
  {
    std::lock_guard<std::mutex> lock(mu_);
    --running_;
    admit_locked(admitted);
  }
  for (Connection* n : admitted) start(n);
}

void RequestTasks::expire(int64_t now_ms) {
  if (admission_timeout_ms_ <= 0) return;
  const int64_t cutoff = now_ms - admission_timeout_ms_;
  std::vector<Connection*> refused;
  std::vector<Connection*> admitted;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (Connection* c : shares_.take_waiting_since(cutoff)) refused.push_back(c);
    while (!budget_queue_.empty() && budget_queue_.front()->live->queued_ms <= cutoff) {
      Connection* c = budget_queue_.front();
      budget_queue_.pop_front();
      refused.push_back(c);
      if (Connection* w = shares_.finish(c->live->client())) budget_queue_.push_back(w);
    }
    admit_locked(admitted);
  }
  for (Connection* c : admitted) start(c);
  for (Connection* c : refused) {
    counters_.admission_timeouts.fetch_add(1, std::memory_order_relaxed);
    post_(c, [this, c] { refuse_(c); });
  }
}

size_t RequestTasks::running() const {
  std::lock_guard<std::mutex> lock(mu_);
  return running_;
}

size_t RequestTasks::queued() const {
  std::lock_guard<std::mutex> lock(mu_);
  return budget_queue_.size() + shares_.waiting();
}

}  // namespace flashstor::net
