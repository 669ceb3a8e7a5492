// ResponseWriter: builds a status line and headers in the arena and sends them together with
// the first body bytes in one writev. Always adds Content-Length (or chunked when unknown).
#pragma once

#include <sys/uio.h>

#include <cstdint>
#include <span>
#include <string_view>

#include "flashstor/common/status.h"
#include "flashstor/http/transport.h"
#include "flashstor/mem/arena.h"

namespace flashstor::http {

class ResponseWriter {
 public:
  ResponseWriter(Transport& transport, mem::Arena& arena) : transport_(transport), arena_(arena) {}

  void set_status(int code);
  int status() const { return status_; }
  // Copies name and value into the arena. Callers never add Content-Length, Connection or
  // Date: the writer owns those. Bounded to 64 headers; extra ones are dropped and counted.
  void add_header(std::string_view name, std::string_view value);
  // For HEAD: the head (with the real Content-Length) is sent, no body bytes.
  void set_head_only(bool v) { head_only_ = v; }
  void set_keep_alive(bool v) { keep_alive_ = v; }
  bool keep_alive() const { return keep_alive_; }

  // Sends head + body in one writev (Content-Length = body.size()).
  Status send(std::string_view body);
  // Streaming: head with Content-Length = length, then write() exactly length bytes.
  Status begin(uint64_t length);
  Status write(std::span<const char> data);
  bool head_sent() const { return head_sent_; }
  uint64_t body_bytes_sent() const { return body_sent_; }

  // Interim "100 Continue" (before any final head).
  Status send_continue();

 private:
  Status send_head(uint64_t length, std::span<const char> first_body);

  struct Field {
    std::string_view name, value;
  };
  static constexpr size_t kMaxHeaders = 64;
  Transport& transport_;
  mem::Arena& arena_;
  Field fields_[kMaxHeaders];
  size_t nfields_ = 0;
  int status_ = 200;
  bool head_only_ = false;
  bool keep_alive_ = true;
  bool head_sent_ = false;
  uint64_t body_sent_ = 0;
  uint64_t body_length_ = 0;
};

// Reason phrase for a status code ("OK", "Partial Content", ...).
std::string_view ReasonPhrase(int code);

}  // namespace flashstor::http
