// ConnectionInput (buffered connection bytes), ContentLengthBody and ChunkedBody: the HTTP
// framings of a request body, each stopping exactly at the end of its body.
#include "flashstor/http/body.h"

#include <algorithm>
#include <cstring>

#include "flashstor/http/ascii.h"

namespace flashstor::http {

ConnectionInput::ConnectionInput(std::span<char> buffer, std::string_view buffered,
                                 Transport& transport)
    : buffer_(buffer), transport_(transport) {
  if (!buffered.empty()) {
    begin_ = static_cast<size_t>(buffered.data() - buffer.data());
    end_ = begin_ + buffered.size();
  }
}

Result<size_t> ConnectionInput::read(std::span<char> out) {
  if (out.empty()) return size_t{0};
  if (begin_ < end_) {
    size_t n = std::min(out.size(), end_ - begin_);
    std::memcpy(out.data(), buffer_.data() + begin_, n);
    begin_ += n;
    return n;
  }
  Result<size_t> n = transport_.recv(out);
  if (n) from_transport_ += *n;
  return n;
}

Result<std::string_view> ConnectionInput::peek() {
  if (begin_ == end_) {
    begin_ = end_ = 0;
    if (buffer_.empty()) return Err(Code::kInternal, "connection input has no buffer");
    Result<size_t> n = transport_.recv(buffer_);
    if (!n) return std::unexpected(n.error());
    end_ = std::min(*n, buffer_.size());
    from_transport_ += end_;
  }
  return std::string_view(buffer_.data() + begin_, end_ - begin_);
}

void ConnectionInput::consume(size_t n) {
  begin_ += std::min(n, end_ - begin_);
}

std::string_view ConnectionInput::leftover() const {
  return std::string_view(buffer_.data() + begin_, end_ - begin_);
}

Result<size_t> ContentLengthBody::read(std::span<char> out) {
  if (remaining_ == 0 || out.empty()) return size_t{0};
  size_t want = static_cast<size_t>(std::min<uint64_t>(out.size(), remaining_));
  Result<size_t> n = in_.read(out.first(want));
  if (!n) return n;
  if (*n == 0) return Err(Code::kIncompleteBody, "body shorter than Content-Length");
  remaining_ -= *n;
  return n;
}

namespace {

// ChunkedBody phases, one per position in the chunked grammar.
enum ChunkedPhase : int {
  kSizeFirst = 0,  // first hex digit of chunk-size
  kSizeMore,       // further hex digits
  kExtSpace,       // BWS after the size, before ';'
  kExt,            // chunk-ext, ignored up to CR
  kSizeLf,
  kData,
  kDataCr,
  kDataLf,
  kTrailerStart,  // start of a trailer line or the final CRLF
  kTrailer,
  kTrailerLf,
  kFinalLf,
};

Status Invalid(std::string_view why) {
  return Status(Code::kInvalidRequest, why);
}

}  // namespace

// chunk-size [BWS] [; chunk-ext] up to the CR, bounded.
Status ChunkedBody::step_size(char c) {
  if (++line_bytes_ > kMaxSizeLine) return Invalid("chunk-size line too long");
  if (c == '\r' && phase_ != kSizeFirst) {
    phase_ = kSizeLf;
  } else if (phase_ <= kSizeMore && ascii::HexValue(c) >= 0) {
    if (chunk_left_ > (UINT64_MAX >> 4)) return Invalid("chunk size overflows");
    chunk_left_ = chunk_left_ * 16 + static_cast<uint64_t>(ascii::HexValue(c));
    phase_ = kSizeMore;
  } else if (phase_ == kSizeFirst) {
    return Invalid("missing chunk size");
  } else if (phase_ == kExt) {
    if (!ascii::IsFieldValueChar(c)) return Invalid("invalid chunk extension");
  } else if (c == ';') {
    phase_ = kExt;
  } else if (!ascii::IsWhitespace(c)) {
    return Invalid("invalid chunk size");
  } else {
    phase_ = kExtSpace;
  }
  return Status::Ok();
}

Status ChunkedBody::step(char c) {
  switch (phase_) {
    case kSizeFirst:
    case kSizeMore:
    case kExtSpace:
    case kExt:
      return step_size(c);
    case kSizeLf:
      if (c != '\n') return Invalid("chunk-size line not ended by CRLF");
      line_bytes_ = 0;
      if (chunk_left_ == 0) {
        phase_ = kTrailerStart;
      } else if (chunk_left_ > max_bytes_ - total_) {
        return Status(Code::kTooLarge, "chunked body too large");
      } else {
        total_ += chunk_left_;
        phase_ = kData;
      }
      return Status::Ok();
    case kDataCr:
      phase_ = kDataLf;
      return c == '\r' ? Status::Ok() : Invalid("chunk data not followed by CRLF");
    case kDataLf:
      phase_ = kSizeFirst;
      return c == '\n' ? Status::Ok() : Invalid("chunk data not followed by CRLF");
    case kTrailerStart:
    case kTrailer:
      if (++trailer_bytes_ > kMaxTrailerBytes) return Invalid("trailer section too large");
      if (phase_ == kTrailerStart) {
        if (c == '\r') {
          phase_ = kFinalLf;
          return Status::Ok();
        }
        // A field name starts here: a space would be obs-fold.
        if (!ascii::IsTchar(c)) return Invalid("invalid trailer field");
        phase_ = kTrailer;
      } else if (c == '\r') {
        phase_ = kTrailerLf;
      } else if (!ascii::IsFieldValueChar(c)) {
        return Invalid("invalid trailer field");
      }
      return Status::Ok();
    case kTrailerLf:
      phase_ = kTrailerStart;
      return c == '\n' ? Status::Ok() : Invalid("trailer line not ended by CRLF");
    case kFinalLf:
      if (c != '\n') return Invalid("chunked body not ended by CRLF");
      done_ = true;
      return Status::Ok();
    default:
      return Status(Code::kInternal, "chunked decoder in data phase");
  }
}

Result<size_t> ChunkedBody::read(std::span<char> out) {
  if (!error_.ok()) return std::unexpected(error_);
  size_t produced = 0;
  while (!done_ && produced < out.size()) {
    // Never block for more bytes once there is something to return.
    if (produced > 0 && in_.leftover().empty()) break;
    if (phase_ == kData) {
      size_t want = static_cast<size_t>(std::min<uint64_t>(chunk_left_, out.size() - produced));
      Result<size_t> n = in_.read(out.subspan(produced, want));
      if (!n) return std::unexpected(error_ = n.error());
      if (*n == 0)
        return std::unexpected(error_ = Status(Code::kIncompleteBody, "chunked body cut"));
      produced += *n;
      chunk_left_ -= *n;
      if (chunk_left_ == 0) phase_ = kDataCr;
      continue;
    }
    Result<std::string_view> buf = in_.peek();
    if (!buf) return std::unexpected(error_ = buf.error());
    if (buf->empty()) {
      return std::unexpected(error_ = Status(Code::kIncompleteBody, "chunked body cut"));
    }
    size_t used = 0;
    while (used < buf->size() && phase_ != kData && !done_) {
      Status s = step((*buf)[used++]);
      if (!s.ok()) return std::unexpected(error_ = s);
    }
    in_.consume(used);
  }
  return produced;
}

}  // namespace flashstor::http
