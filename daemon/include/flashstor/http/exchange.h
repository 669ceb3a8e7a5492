// Exchange and Handler: what the network layer hands to the application for one request.
// The handler runs on a worker thread (it may block on disk and on the socket); the event
// loop gets the connection back when serve() returns.
#pragma once

#include <cstdint>
#include <string_view>

#include "flashstor/common/data_stream.h"
#include "flashstor/http/body.h"
#include "flashstor/http/request.h"
#include "flashstor/http/response.h"
#include "flashstor/mem/arena.h"

namespace flashstor::task {
class CancelToken;
}

namespace flashstor::http {

class Exchange {
 public:
  virtual ~Exchange() = default;
  virtual const Request& request() const = 0;
  virtual mem::Arena& arena() = 0;
  // Decoded entity body (Content-Length or chunked framing removed). Sends 100-continue on the
  // first read when the client asked for it. Empty stream when the request has no body.
  virtual DataSource& body() = 0;
  virtual ResponseWriter& response() = 0;
  virtual std::string_view remote_address() const = 0;  // "ip:port"
  virtual bool secure() const = 0;                      // arrived over TLS
  // The TLS version the connection negotiated ("TLSv1.3"); empty over plain TCP.
  virtual std::string_view tls_protocol() const { return {}; }
  virtual uint64_t request_start_ns() const = 0;  // CLOCK_MONOTONIC at head receipt
  // Fired when the client goes away while the request runs (connection closed or reset,
  // HTTP/2 stream reset): the handler copies it into its RequestContext, so server-side waits
  // end, and answers nothing once it fired. Valid until serve() returns; nullptr: none.
  virtual const task::CancelToken* cancel_token() const { return nullptr; }
};

class Handler {
 public:
  virtual ~Handler() = default;
  // Must send a complete response (or leave head_sent()==false, and the server answers 500).
  // If the body was not read to its end, the connection is closed after the response.
  virtual void serve(Exchange& exchange) = 0;
};

}  // namespace flashstor::http
