// RequestTasks: admission and running of requests as tasks (fibers) on their connection's
// event loop. In-flight requests are bounded by a memory budget (max_tasks), each address by
// its share of it; requests over either bound wait in FIFO order, holding no thread and no
// stack, and are answered 503 SlowDown if they wait past the admission deadline.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <vector>

#include "client_shares.h"
#include "connection.h"
#include "flashstor/http/exchange.h"
#include "flashstor/net/server_options.h"
#include "flashstor/task/memory_wait.h"
#include "request_worker.h"

namespace flashstor::net {

class RequestTasks final : private task::MemoryWaitHook {
 public:
  // done: on c's loop thread, at the end of its task: what to do with the connection next.
  // refuse: on c's loop thread: c waited past the admission deadline (answer 503).
  // start_elsewhere: run fn on c's loop thread (c belongs to another loop).
  using DoneFn = std::function<void(Connection*, AfterRequest)>;
  using RefuseFn = std::function<void(Connection*)>;
  using PostFn = std::function<void(Connection*, std::function<void()>)>;

  RequestTasks(size_t max_tasks, int client_share, int admission_timeout_ms, http::Handler& handler,
               const ServerOptions& options, DoneFn done, RefuseFn refuse, PostFn post,
               const std::atomic<bool>* cancel_waits);

  // c's loop thread: starts c's request now, or queues it for admission.
  void submit(Connection* c);
  // HTTP/2 streams (h2_session.h) run under the same in-flight budget but never queue here
  // (their connection bounds its own streams): false when the budget is spent or requests wait
  // for it (the stream is answered 503 SlowDown). finish_stream() at the end of its task.
  bool try_start_stream();
  void finish_stream();
  RequestCounters& mutable_counters() { return counters_; }
  bool stopping() const { return stopping_.load(); }
  // Any loop's tick: refuses requests that waited for admission longer than the deadline.
  void expire(int64_t now_ms);
  void set_stopping() { stopping_ = true; }

  size_t running() const;  // tasks started and not finished
  size_t queued() const;   // waiting for admission (share or budget)
  size_t max_tasks() const { return max_tasks_; }
  const RequestCounters& counters() const { return counters_; }

 private:
  void start(Connection* c);  // on c's loop thread
  void run(Connection* c);    // the task body
  // A task parked for the request memory budget lends its place to the next request waiting
  // for admission (it holds no large buffer yet), and takes it back with its grant (or its
  // timeout): tasks in flight may then exceed max_tasks by those that waited, which the
  // budget bounds; at most max_tasks places are lent at once (each parked task still holds
  // its stack's touched pages).
  bool waiting_for_memory() override;
  void done_waiting() override;
  // Under mu_: admits queued requests while the budget allows; returns them.
  void admit_locked(std::vector<Connection*>& out);

  const size_t max_tasks_;
  const int admission_timeout_ms_;
  http::Handler& handler_;
  const ServerOptions& options_;
  DoneFn done_;
  RefuseFn refuse_;
  PostFn post_;
  const std::atomic<bool>* cancel_waits_;
  mutable std::mutex mu_;
  ClientShares shares_;
  std::deque<Connection*> budget_queue_;  // passed their share, waiting for the budget
  size_t running_ = 0;
  size_t lent_ = 0;  // places lent by tasks parked for memory
  std::atomic<bool> stopping_{false};
  RequestCounters counters_;
};

}  // namespace flashstor::net
