// ResponseWriter: status line and header fields assembled in the arena, sent with the body
// (or a streamed body's first bytes) in one writev; streaming bodies go straight from the
// caller's buffers. Plus reason phrases and
// the per-second cached Date value.
#include "flashstor/http/response.h"

#include <charconv>
#include <cstring>

#include "flashstor/common/utc_time.h"
#include "flashstor/http/ascii.h"

namespace flashstor::http {
namespace {

constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
constexpr std::string_view kReserved[] = {"content-length", "connection", "date", "server",
                                          "transfer-encoding"};

}  // namespace

// Date value of the current second, formatted once per second per thread (no lock, no race).
std::string_view CurrentHttpDate() {
  thread_local int64_t cached_second = -1;
  thread_local char cached[kHttpDateLength];
  timespec ts{};
  clock_gettime(CLOCK_REALTIME_COARSE, &ts);
  if (ts.tv_sec != cached_second) {
    FormatHttpDate(ts.tv_sec, cached);
    cached_second = ts.tv_sec;
  }
  return std::string_view(cached, kHttpDateLength);
}

namespace {

bool HasBody(int status) {
  return status >= 200 && status != 204 && status != 304;
}

// Appends to a fixed buffer sized beforehand.
struct Appender {
  char* p;
  void put(std::string_view s) {
    if (s.empty()) return;  // an empty view may carry a null pointer
    std::memcpy(p, s.data(), s.size());
    p += s.size();
  }
  void put_number(uint64_t v) { p = std::to_chars(p, p + 20, v).ptr; }
};

}  // namespace

void FormatHttpDate(int64_t unix_seconds, std::span<char, kHttpDateLength> out) {
  static constexpr char kDays[] = "SunMonTueWedThuFriSat";
  static constexpr char kMonths[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
  const UtcTime u = ToUtc(unix_seconds);  // no time-zone lock (common/utc_time.h)
  auto two = [](char* p, int v) {
    p[0] = static_cast<char>('0' + v / 10 % 10);
    p[1] = static_cast<char>('0' + v % 10);
  };
  char* p = out.data();
  std::memcpy(p, kDays + 3 * u.weekday, 3);
  std::memcpy(p + 3, ", ", 2);
  two(p + 5, u.day);
  p[7] = ' ';
  std::memcpy(p + 8, kMonths + 3 * (u.month - 1), 3);
  p[11] = ' ';
  two(p + 12, u.year / 100);
  two(p + 14, u.year % 100);
  p[16] = ' ';
  two(p + 17, u.hour);
  p[19] = ':';
  two(p + 20, u.minute);
  p[22] = ':';
  two(p + 23, u.second);
  std::memcpy(p + 25, " GMT", 4);
}

void ResponseWriter::set_status(int code) {
  status_ = (code >= 100 && code <= 599) ? code : 500;
}

void ResponseWriter::add_header(std::string_view name, std::string_view value) {
  bool ok = nfields_ < kMaxHeaders && name.size() + value.size() <= kMaxFieldBytes &&
            ascii::IsToken(name);
  for (char c : value) ok = ok && ascii::IsFieldValueChar(c);
  for (std::string_view r : kReserved) ok = ok && !ascii::EqualsIgnoreCase(name, r);
  std::string_view n = ok ? arena_.copy(name) : std::string_view();
  std::string_view v = ok && !value.empty() ? arena_.copy(value) : std::string_view();
  if (!ok || n.empty() || v.size() != value.size()) {
    ++dropped_;
    return;
  }
  fields_[nfields_++] = Field{n, v};
}

Status ResponseWriter::transmit(std::span<const iovec> iov) {
  Status s = transport_->sendv(iov);
  if (!s.ok()) keep_alive_ = false;
  return s;
}

void ResponseWriter::expect_continue(bool content_follows) {
  continue_expected_ = true;
  content_follows_ = content_follows;
}

Status ResponseWriter::send_head(uint64_t length, std::span<const char> first_body) {
  if (head_sent_) return Status(Code::kInternal, "response head already sent");
  head_sent_ = true;
  if (sink_ != nullptr) {
    body_length_ = length;
    const bool has_length = HasBody(status_);
    const bool end = head_only_ || !has_length || first_body.size() == length;
    Status s = sink_->send_head(status_, std::span<const Field>(fields_, nfields_), has_length,
                                length, first_body, end);
    if (s.ok()) body_sent_ = first_body.size();
    return s;
  }
  bool interim = false;
  if (continue_expected_ && !continue_sent_) {
    if (content_follows_) {
      keep_alive_ = false;  // the withheld body would be taken for the next request
    } else {
      interim = continue_sent_ = true;
    }
  }
  body_length_ = length;
  std::string_view reason = ReasonPhrase(status_);
  std::string_view date = CurrentHttpDate();
  size_t size = 9 + 4 + reason.size() + 2 + 6 + date.size() + 2 + 19 + 2;
  for (size_t i = 0; i < nfields_; ++i)
    size += fields_[i].name.size() + fields_[i].value.size() + 4;
  size += 16 + 20 + 2 + 19;  // Content-Length, Connection: close
  char* head = static_cast<char*>(arena_.allocate_scoped(size, 1));
  if (head == nullptr) {
    keep_alive_ = false;
    return Status(Code::kInternal, "response head too large");
  }
  Appender a{head};
  a.put("HTTP/1.1 ");
  a.put_number(static_cast<uint64_t>(status_));
  a.put(" ");
  a.put(reason);
  a.put("\r\nDate: ");
  a.put(date);
  a.put("\r\nServer: Flashstor\r\n");
  for (size_t i = 0; i < nfields_; ++i) {
    a.put(fields_[i].name);
    a.put(": ");
    a.put(fields_[i].value);
    a.put("\r\n");
  }
  if (HasBody(status_)) {
    a.put("Content-Length: ");
    a.put_number(length);
    a.put("\r\n");
  }
  if (!keep_alive_) a.put("Connection: close\r\n");
  a.put("\r\n");
  iovec iov[3];
  size_t count = 0;
  if (interim) iov[count++] = {const_cast<char*>(kContinue.data()), kContinue.size()};
  iov[count++] = {head, static_cast<size_t>(a.p - head)};
  if (!first_body.empty()) iov[count++] = {const_cast<char*>(first_body.data()), first_body.size()};
  Status s = transmit(std::span<const iovec>(iov, count));
  if (s.ok()) body_sent_ = first_body.size();
  return s;
}

Status ResponseWriter::send(std::string_view body) {
  if (!HasBody(status_) && !body.empty()) {
    return Status(Code::kInvalidArgument, "status forbids a body");
  }
  return send_head(body.size(), head_only_ ? std::string_view() : body);
}

Status ResponseWriter::begin(uint64_t length) {
  if (!HasBody(status_) && length != 0) {
    return Status(Code::kInvalidArgument, "status forbids a body");
  }
  if (sink_ == nullptr && !head_only_ && length != 0 && !head_sent_) {
    head_sent_ = head_deferred_ = true;
    body_length_ = length;
    return Status::Ok();
  }
  return send_head(length, {});
}

Status ResponseWriter::write(std::span<const char> data) {
  if (!head_sent_) return Status(Code::kInternal, "write() before begin()");
  if (head_only_ || data.empty()) return Status::Ok();
  if (data.size() > body_length_ - body_sent_) {
    keep_alive_ = false;
    return Status(Code::kInternal, "response body longer than Content-Length");
  }
  if (head_deferred_) {
    head_deferred_ = head_sent_ = false;
    return send_head(body_length_, data);
  }
  if (sink_ != nullptr) {
    Status s = sink_->write_body(data, body_sent_ + data.size() == body_length_);
    if (s.ok()) body_sent_ += data.size();
    return s;
  }
  iovec iov{const_cast<char*>(data.data()), data.size()};
  Status s = transmit(std::span<const iovec>(&iov, 1));
  if (s.ok()) body_sent_ += data.size();
  return s;
}

Status ResponseWriter::send_continue() {
  if (head_sent_) return Status(Code::kInternal, "100-continue after the final head");
  if (continue_sent_) return Status::Ok();
  continue_sent_ = true;
  if (sink_ != nullptr) return sink_->send_continue();
  iovec iov{const_cast<char*>(kContinue.data()), kContinue.size()};
  return transmit(std::span<const iovec>(&iov, 1));
}

std::string_view ReasonPhrase(int code) {
  struct Reason {
    int code;
    std::string_view text;
  };
  static constexpr Reason kReasons[] = {
      {100, "Continue"},
      {101, "Switching Protocols"},
      {200, "OK"},
      {201, "Created"},
      {202, "Accepted"},
      {204, "No Content"},
      {206, "Partial Content"},
      {301, "Moved Permanently"},
      {302, "Found"},
      {303, "See Other"},
      {304, "Not Modified"},
      {307, "Temporary Redirect"},
      {308, "Permanent Redirect"},
      {400, "Bad Request"},
      {401, "Unauthorized"},
      {403, "Forbidden"},
      {404, "Not Found"},
      {405, "Method Not Allowed"},
      {406, "Not Acceptable"},
      {408, "Request Timeout"},
      {409, "Conflict"},
      {410, "Gone"},
      {411, "Length Required"},
      {412, "Precondition Failed"},
      {413, "Content Too Large"},
      {414, "URI Too Long"},
      {415, "Unsupported Media Type"},
      {416, "Range Not Satisfiable"},
      {417, "Expectation Failed"},
      {422, "Unprocessable Content"},
      {423, "Locked"},
      {428, "Precondition Required"},
      {429, "Too Many Requests"},
      {431, "Request Header Fields Too Large"},
      {499, "Client Closed Request"},
      {500, "Internal Server Error"},
      {501, "Not Implemented"},
      {502, "Bad Gateway"},
      {503, "Service Unavailable"},
      {504, "Gateway Timeout"},
      {505, "HTTP Version Not Supported"},
      {507, "Insufficient Storage"},
  };
  for (const Reason& r : kReasons) {
    if (r.code == code) return r.text;
  }
  return "Unknown";
}

}  // namespace flashstor::http
