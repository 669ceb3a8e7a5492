// RequestContext: what every ObjectLayer call knows about the request it serves: its deadline
// (every server-side wait, a lock or a quorum fan-out, is bounded by it), its cancel token
// (the client went away: those waits end now), its trace id (the S3 request id, so the
// engine's log lines join the audit record) and its principal.
//
// A copyable value of strings and a time point, plus two local handles: the cancel token, which
// copies share, and the request's memory grant. The cluster carries the rest to the node that owns
// a drive or a lock as it is, and maps the token to the call's stream to that peer: a cancelled
// request closes the stream, and the peer cancels its own token when it sees the close. What one
// call does (the version it names, its preconditions) stays in that call's typed options
// (GetOptions-like arguments, DeleteOptions::version_id, ...): a version id in here would be a
// second, untyped copy that calls could disagree on, and most calls have no version at all.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "flashstor/task/cancel_token.h"
#include "flashstor/task/memory_budget.h"

namespace flashstor::object {

struct RequestContext {
  using Clock = std::chrono::steady_clock;

  // When the server gives up on the request (kDeadlineExceeded). max(): no deadline.
  Clock::time_point deadline = Clock::time_point::max();
  // The S3 request id (x-amz-request-id), or the background service's name. Never a secret.
  std::string trace_id;
  // Who the request acts for: the signer's access key id or the assumed role's session ARN;
  // "" for anonymous, "flashstor:<service>" for background work. Never a secret key or a
  // session token.
  std::string principal;
  // The client's minimum transfer rate (bytes/s; 0: none). A response streamed after the call
  // returned (an ObjectReader) waits for its block at byte n until deadline_after(n): a client
  // that keeps this rate is never cut by the deadline, however large the object.
  uint64_t min_bytes_per_s = 0;
  // The operation allowance (0: none). The deadline above also covers the client's transfer of
  // its body at min_bytes_per_s; a step that starts with everything it needs from the client
  // in hand (a block of the body read, the whole body read) is given at most this from its
  // start (step_deadline), so a fast client's large PUT over hung drives is answered an
  // allowance after its bytes arrived, not after the time a slow client could have taken.
  std::chrono::milliseconds step_allowance{0};
  // Fired when the client went away (net/: connection closed or reset, HTTP/2 stream reset):
  // lock waits end with kCancelled and quorum fan-outs settle at once, as at the deadline.
  // Empty (never fired) for background work and tests.
  task::CancelToken cancel;
  // The request memory budget's grant for this request's large buffers (BudgetedLayer), or
  // null. A local handle like the token, never carried to another node: the engine gives it
  // back as soon as the buffers it covers are (a PUT's once its data is written, before the
  // commit's metadata writes and fsyncs), so the next large request need not wait for them.
  task::MemoryBudget::Grant* buffer_grant = nullptr;

  bool cancelled() const { return cancel.cancelled(); }
  bool has_deadline() const { return deadline != Clock::time_point::max(); }
  // Time left before the deadline (negative once it passed; a day when there is none).
  std::chrono::milliseconds remaining() const {
    if (!has_deadline()) return std::chrono::hours(24);
    return std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
  }
  Clock::time_point deadline_after(uint64_t bytes) const {
    if (!has_deadline() || min_bytes_per_s == 0) return deadline;
    const auto extra = std::chrono::milliseconds(bytes / min_bytes_per_s * 1000 +
                                                 bytes % min_bytes_per_s * 1000 / min_bytes_per_s);
    return extra >= Clock::time_point::max() - deadline ? Clock::time_point::max()
                                                        : deadline + extra;
  }
  // The deadline of a step starting now: the request's, cut to now + step_allowance.
  Clock::time_point step_deadline() const {
    if (step_allowance.count() <= 0) return deadline;
    const Clock::time_point now = Clock::now();
    return step_allowance >= deadline - now ? deadline : now + step_allowance;
  }
  // This context for the steps after the request's body has been read (see step_deadline).
  RequestContext after_body() const {
    RequestContext step = *this;
    step.deadline = step_deadline();
    return step;
  }
  // The buffers buffer_grant covers are given back: so is the grant.
  void buffers_released() const {
    if (buffer_grant != nullptr) buffer_grant->release();
  }
  bool expired() const { return has_deadline() && Clock::now() >= deadline; }
  // A wait of at most `wait`, cut to what is left of the deadline (never negative).
  std::chrono::milliseconds bound(std::chrono::milliseconds wait) const {
    const std::chrono::milliseconds longest = std::max(wait, std::chrono::milliseconds(0));
    return std::clamp(remaining(), std::chrono::milliseconds(0), longest);
  }

  // The context of a background service's work (scanner, lifecycle, heal): trace id `who`,
  // principal "flashstor:<who>", a deadline `budget` from now (zero or less: none).
  static RequestContext Background(std::string_view who, std::chrono::milliseconds budget = {}) {
    RequestContext ctx;
    ctx.trace_id = who;
    ctx.principal = "flashstor:" + std::string(who);
    if (budget.count() > 0) ctx.deadline = Clock::now() + budget;
    return ctx;
  }
};

}  // namespace flashstor::object
