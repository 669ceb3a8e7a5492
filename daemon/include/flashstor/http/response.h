// ResponseWriter: builds a status line and headers in the arena and sends them together with
// the body in one writev. Adds Date, Server, Content-Length (except 1xx/204/304) and
// Connection: close when the connection will not be kept alive.
#pragma once

#include <sys/uio.h>

#include <cstdint>
#include <span>
#include <string_view>

#include "flashstor/common/status.h"
#include "flashstor/http/transport.h"
#include "flashstor/mem/arena.h"

namespace flashstor::http {

struct ResponseField {
  std::string_view name, value;
};

// Where a ResponseWriter sends a response that is not HTTP/1.1 bytes on a Transport (an
// HTTP/2 stream, net/h2_stream.h). The writer keeps the status, fields and byte counts; the
// sink frames them. Calls come from the request's task, in order: at most one send_continue,
// one send_head, then write_body calls for the rest of the announced length.
class ResponseSink {
 public:
  virtual ~ResponseSink() = default;
  // The final head. has_length: the status allows a body (Content-Length = length). first_body
  // (maybe empty) is sent right after it; end: no body bytes will follow (HEAD, or all of the
  // body is in first_body). The sink may keep first_body only until it returns.
  virtual Status send_head(int status, std::span<const ResponseField> fields, bool has_length,
                           uint64_t length, std::span<const char> first_body, bool end) = 0;
  // More body bytes; last: the announced length is complete with these.
  virtual Status write_body(std::span<const char> data, bool last) = 0;
  virtual Status send_continue() = 0;
};

// Used by one worker thread at a time. After a transport error keep_alive() is false.
class ResponseWriter {
 public:
  ResponseWriter(Transport& transport, mem::Arena& arena) : transport_(&transport), arena_(arena) {}
  // A writer whose head and body go to sink (HTTP/2); keep-alive and Expect handling are the
  // sink's protocol's business there.
  ResponseWriter(ResponseSink& sink, mem::Arena& arena) : sink_(&sink), arena_(arena) {}

  // Codes outside 100..599 become 500.
  void set_status(int code);
  int status() const { return status_; }
  // Copies name and value into the arena. Callers never add Content-Length, Connection, Date,
  // Server or Transfer-Encoding: the writer owns those. Bounded to 64 headers and 8 KiB per
  // field; extra, oversized, reserved or malformed ones (name not a token, CR/LF/NUL in the
  // value: no response splitting) are dropped and counted.
  void add_header(std::string_view name, std::string_view value);
  size_t dropped_headers() const { return dropped_; }
  // For HEAD: the head (with the real Content-Length) is sent, no body bytes.
  void set_head_only(bool v) { head_only_ = v; }
  void set_keep_alive(bool v) { keep_alive_ = v; }
  bool keep_alive() const { return keep_alive_; }

  // Sends head + body in one writev (Content-Length = body.size()). Once per response:
  // kInternal if a head was already sent; kInvalidArgument for a body with 204/304.
  Status send(std::string_view body);
  // Streaming: the head with Content-Length = length, then write() exactly length bytes.
  // write() sends straight from data (no copy); writing past length is kInternal and sends
  // nothing. With set_head_only(true) write() sends nothing and succeeds. Over HTTP/1.1 a head
  // announcing a body waits for the first write(): head and first bytes leave in one sendmsg
  // (a response cut before any byte then sends nothing at all, and the connection closes).
  Status begin(uint64_t length);
  Status write(std::span<const char> data);
  // True once send() or begin() was called (even if the transport then failed).
  bool head_sent() const { return head_sent_; }
  uint64_t body_bytes_sent() const { return body_sent_; }
  // Every announced body byte went out (always true for HEAD): else the connection must close.
  bool complete() const { return head_sent_ && (head_only_ || body_sent_ == body_length_); }

  // Interim "100 Continue" (before any final head); sent at most once, later calls no-op.
  // kInternal once a final head was sent.
  Status send_continue();
  // The request carried "Expect: 100-continue". If the final head goes out before a 100:
  // with content to follow, the client still withholds it, so the connection closes
  // ("Connection: close", as Go's net/http does); with no content, a 100 is sent first in
  // the same writev. RFC 9110 lets a server omit that 100, but botocore (aws cli, boto3)
  // keeps a final answer to an Expect request on its pooled connection and stalls on the
  // next response that follows a 100 (boto/botocore#3755).
  void expect_continue(bool content_follows);

 private:
  Status send_head(uint64_t length, std::span<const char> first_body);
  Status transmit(std::span<const iovec> iov);

  using Field = ResponseField;
  static constexpr size_t kMaxHeaders = 64;
  static constexpr size_t kMaxFieldBytes = 8 * 1024;
  Transport* transport_ = nullptr;
  ResponseSink* sink_ = nullptr;
  mem::Arena& arena_;
  Field fields_[kMaxHeaders];
  size_t nfields_ = 0;
  size_t dropped_ = 0;
  int status_ = 200;
  bool head_only_ = false;
  bool keep_alive_ = true;
  bool head_sent_ = false;
  bool head_deferred_ = false;  // begin() was called; the head goes with the first write()
  bool continue_sent_ = false;
  bool continue_expected_ = false;
  bool content_follows_ = false;
  uint64_t body_sent_ = 0;
  uint64_t body_length_ = 0;
};

// Reason phrase for a status code ("OK", "Partial Content", ...); "Unknown" for others.
std::string_view ReasonPhrase(int code);

// IMF-fixdate (RFC 9110 §5.6.7), "Sun, 06 Nov 1994 08:49:37 GMT", for Date/Last-Modified.
inline constexpr size_t kHttpDateLength = 29;
void FormatHttpDate(int64_t unix_seconds, std::span<char, kHttpDateLength> out);
// The Date value of the current second (cached per thread): valid until the thread's next call.
std::string_view CurrentHttpDate();

}  // namespace flashstor::http
