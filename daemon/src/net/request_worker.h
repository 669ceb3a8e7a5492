// Request workers: a fixed pool of threads that run the handler for connections whose request
// head is complete, with blocking deadline-bounded socket I/O and disk I/O (never on a loop).
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "connection.h"
#include "flashstor/http/exchange.h"
#include "flashstor/net/server_options.h"

namespace flashstor::net {

// Runs one request on connection c; returns true when the connection can be kept alive (its
// buffer then holds any pipelined bytes of the next request and the arena has been reset).
bool ServeRequest(Connection& c, http::Handler& handler, const ServerOptions& options,
                  bool stopping);

class RequestPool {
 public:
  using DoneFn = std::function<void(Connection*, bool keep_alive)>;

  RequestPool(int threads, http::Handler& handler, const ServerOptions& options, DoneFn done);
  ~RequestPool();

  void submit(Connection* c);
  // Finishes queued work, then joins the threads.
  void shutdown();
  size_t busy() const;
  void set_stopping() { stopping_ = true; }

 private:
  void run();

  http::Handler& handler_;
  const ServerOptions& options_;
  DoneFn done_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Connection*> queue_;
  std::vector<std::thread> threads_;
  size_t busy_ = 0;
  bool quit_ = false;
  std::atomic<bool> stopping_{false};
};

}  // namespace flashstor::net
