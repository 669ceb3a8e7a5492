// H2Stream: one HTTP/2 request of a connection: its request head (in its own arena), the body
// bytes DATA frames delivered (bounded by the stream's window), the response bytes its task
// hands to the connection's driver, and how the task waits for either. Loop thread only: the
// driver (h2_session.cc) and the stream's task (h2_stream.cc) never run at the same time.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "flashstor/http/request.h"
#include "flashstor/mem/arena.h"
#include "flashstor/net/transfer_budget.h"
#include "flashstor/task/cancel_token.h"
#include "flashstor/task/fiber.h"
#include "h2_stream_input.h"

namespace flashstor::net {

class H2Session;

struct H2Stream {
  H2Stream(H2Session& s, int32_t stream_id, mem::BlockPool* pool, size_t window)
      : session(s), id(stream_id), arena(pool), input(arena, window) {}

  H2Session& session;
  const int32_t id;
  mem::Arena arena;

  // Request head, filled by the header callbacks.
  http::Request request;
  http::Header* headers = nullptr;  // max_headers entries from the arena
  size_t nheaders = 0;
  size_t header_bytes = 0;
  std::string_view method, path, authority, scheme;
  int early_status = 0;  // answered by the driver without a task (400, 413, 431)
  uint64_t start_ns = 0;

  // Request body.
  StreamInput input;
  bool input_ended = false;    // END_STREAM received
  uint64_t body_received = 0;  // DATA payload bytes, read by the handler or discarded
  bool too_large = false;      // more body than limits.max_body_bytes: the rest is discarded

  // Response: bytes the task waits to hand over, taken by the data provider.
  std::span<const char> pending;
  bool out_end = false;     // the provider signals END_STREAM once pending is empty
  bool deferred = false;    // the provider paused (NGHTTP2_ERR_DEFERRED): resume on new data
  std::string static_body;  // a response the driver made itself
  size_t static_sent = 0;
  bool static_reply = false;

  // State.
  bool task_started = false;
  bool task_done = false;
  bool closed = false;  // nghttp2 closed the stream (finished, or reset by either side)
  TransferBudget* budget = nullptr;  // the task's, while it runs
  // The request's cancel token: fired when the stream is reset or the connection is lost
  // before the response ended (h2_session.cc), so the request's server-side waits end. The
  // driver reads the socket all along, so no arming is needed while the task waits.
  task::CancelToken cancel;
  int64_t answer_after_cut_end_ms = 0;  // the answer to a cut upload may go out until then

  // The task parked for input, window or output room.
  task::Waker waiter;
  bool waiting = false;
  void wake() {
    if (!waiting) return;
    waiting = false;
    task::Waker w = waiter;
    waiter = {};
    w.wake();
  }
};

}  // namespace flashstor::net
