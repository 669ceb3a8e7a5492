// Request workers: a fixed pool of threads that run the handler for connections whose request
// head is complete, with blocking deadline-bounded socket I/O and disk I/O (never on a loop).
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "client_shares.h"
#include "connection.h"
#include "flashstor/http/exchange.h"
#include "flashstor/net/server_options.h"
#include "flashstor/net/transfer_budget.h"

namespace flashstor::net {

// What becomes of a connection after its request.
enum class AfterRequest : uint8_t {
  kClose,      // close now (response cut short, or nothing left to protect)
  kKeepAlive,  // buffer holds any pipelined bytes of the next request; arena reset
  kLinger,     // the response is out but the client may still be sending a body: the loop
               // half-closes and discards input for a short while (never a worker)
};

// Counters shared by the workers (relaxed atomics; read by metrics and the watchdog).
struct WorkerCounters {
  std::atomic<uint64_t> progress{0};   // requests finished + socket operations that moved bytes
  std::atomic<uint64_t> completed{0};  // requests finished, whatever their outcome
  std::atomic<uint64_t> cut_too_slow{0};
  std::atomic<uint64_t> cut_deadline{0};
  std::atomic<uint64_t> cut_idle{0};
  std::atomic<uint64_t> share_waits{0};  // requests that waited for their address's share
};

// Transfer limits of one request from the server options.
TransferLimits RequestTransferLimits(const ServerOptions& options);

// Runs one request on connection c and says what to do with the connection next.
AfterRequest ServeRequest(Connection& c, http::Handler& handler, const ServerOptions& options,
                          bool stopping, WorkerCounters& counters);

class RequestPool {
 public:
  using DoneFn = std::function<void(Connection*, AfterRequest next)>;

  // client_share: requests of one address that may hold a worker at once (<= 0: no limit);
  // the rest wait in the pool, holding no worker, and start in order as those finish.
  RequestPool(int threads, int client_share, http::Handler& handler, const ServerOptions& options,
              DoneFn done);
  ~RequestPool();

  void submit(Connection* c);
  // Finishes queued work, then joins the threads.
  void shutdown();
  size_t busy() const;
  // Requests waiting for a worker (none free).
  size_t queued() const;
  void set_stopping() { stopping_ = true; }
  const WorkerCounters& counters() const { return counters_; }

 private:
  void run();

  http::Handler& handler_;
  const ServerOptions& options_;
  DoneFn done_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Connection*> queue_;  // ready to run as soon as a worker is free
  ClientShares shares_;
  std::vector<std::thread> threads_;
  size_t busy_ = 0;
  bool quit_ = false;
  std::atomic<bool> stopping_{false};
  WorkerCounters counters_;
};

}  // namespace flashstor::net
