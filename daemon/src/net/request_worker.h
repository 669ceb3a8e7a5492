// ServeRequest: one request of a connection whose head is complete, run by a request task (a
// fiber on the connection's loop): body decoding, the handler, the response, keep-alive.
#pragma once

#include <atomic>

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
               // half-closes and discards input for a short while (no task)
};

// Counters shared by the request tasks (relaxed atomics; read by metrics and the watchdog).
struct RequestCounters {
  std::atomic<uint64_t> progress{0};   // requests finished + socket operations that moved bytes
  std::atomic<uint64_t> completed{0};  // requests finished, whatever their outcome
  std::atomic<uint64_t> cut_too_slow{0};
  std::atomic<uint64_t> cut_deadline{0};
  std::atomic<uint64_t> cut_idle{0};
  std::atomic<uint64_t> share_waits{0};         // requests that waited for their address's share
  std::atomic<uint64_t> budget_waits{0};        // requests that waited for the in-flight budget
  std::atomic<uint64_t> admission_timeouts{0};  // refused (503) after waiting too long
  // Requests whose cancel token fired: the client closed its connection (HTTP/1.1) or reset
  // its stream or lost its connection (HTTP/2) while the request ran.
  std::atomic<uint64_t> cancelled{0};
};

// Transfer limits of one request from the server options.
TransferLimits RequestTransferLimits(const ServerOptions& options);

// Runs the handler; false when it ran out of memory (std::bad_alloc stops at this boundary).
bool ServeWithinMemory(http::Handler& handler, http::Exchange& exchange);

// One journal line ("slow client cut off") and one count when the budget cut the client off
// (too slow, deadline, idle); nothing otherwise. HTTP/1.1 requests and HTTP/2 streams alike.
void ReportCut(const Connection& c, const TransferBudget& budget, RequestCounters& counters);

// Runs one request on connection c and says what to do with the connection next.
// cancel_waits: once set, waits for the client end at once (the server is stopping).
AfterRequest ServeRequest(Connection& c, http::Handler& handler, const ServerOptions& options,
                          bool stopping, RequestCounters& counters,
                          const std::atomic<bool>* cancel_waits = nullptr);

}  // namespace flashstor::net
