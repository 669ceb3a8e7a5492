// AwsChunkedBody: decodes the aws-chunked content encoding of SigV4 streaming uploads
// (signed chunks, unsigned chunks with trailers), reporting each frame to an observer.
#include <algorithm>
#include <cstring>

#include "flashstor/http/ascii.h"
#include "flashstor/http/body.h"

namespace flashstor::http {
namespace {

enum SignedChunkPhase : int {
  kChunkHeader = 0,
  kChunkData,
  kChunkDataCrlf,
  kChunkTrailers,
  kChunkEnd
};

constexpr std::string_view kSignaturePrefix = "chunk-signature=";
constexpr size_t kSignatureLength = 64;

Status InvalidChunk(std::string_view why) {
  return Status(Code::kInvalidRequest, why);
}

bool IsHex(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return ascii::HexValue(c) >= 0; });
}

}  // namespace

AwsChunkedBody::AwsChunkedBody(DataSource& in, AwsChunkObserver& observer, uint64_t decoded_length)
    : in_(in), observer_(observer), decoded_length_(decoded_length) {}

Status AwsChunkedBody::set_error(Status s) {
  error_ = s;
  return s;
}

Result<std::string_view> AwsChunkedBody::next_line(bool eof_ok) {
  for (;;) {
    std::string_view avail(buf_ + begin_, end_ - begin_);
    size_t crlf = avail.find("\r\n");
    if (crlf != std::string_view::npos) {
      begin_ += crlf + 2;
      std::string_view line = avail.substr(0, crlf);
      if (line.find_first_of("\r\n") != std::string_view::npos) {
        return std::unexpected(InvalidChunk("bare CR or LF in aws-chunked framing"));
      }
      return line;
    }
    if (avail.size() >= kMaxLine) return std::unexpected(InvalidChunk("aws-chunked line too long"));
    std::memmove(buf_, buf_ + begin_, avail.size());
    begin_ = 0;
    end_ = avail.size();
    Result<size_t> n = in_.read(std::span<char>(buf_ + end_, kMaxLine - end_));
    if (!n) return std::unexpected(n.error());
    if (*n == 0) {
      // The caller tells an accepted end of stream by the null data pointer.
      if (eof_ok && end_ == 0) return std::string_view();
      return Err(Code::kIncompleteBody, "aws-chunked body cut");
    }
    end_ += *n;
  }
}

Status AwsChunkedBody::on_header_line(std::string_view line) {
  size_t semi = line.find(';');
  std::string_view hex = line.substr(0, semi);
  if (hex.empty() || hex.size() > 16 || !IsHex(hex))
    return InvalidChunk("invalid aws-chunked size");
  uint64_t size = 0;
  for (char c : hex) size = size * 16 + static_cast<uint64_t>(ascii::HexValue(c));
  std::string_view signature;
  if (semi != std::string_view::npos) {
    std::string_view ext = line.substr(semi + 1);
    if (!ext.starts_with(kSignaturePrefix)) return InvalidChunk("invalid aws-chunked extension");
    signature = ext.substr(kSignaturePrefix.size());
    if (signature.size() != kSignatureLength || !IsHex(signature)) {
      return InvalidChunk("invalid chunk-signature");
    }
  }
  if (size > decoded_length_ - delivered_) {
    return InvalidChunk("aws-chunked data exceeds x-amz-decoded-content-length");
  }
  FS_RETURN_IF_ERROR(observer_.on_chunk_begin(signature, size));
  if (size != 0) {
    chunk_left_ = size;
    phase_ = kChunkData;
    return Status::Ok();
  }
  if (delivered_ != decoded_length_) {
    return Status(Code::kIncompleteBody, "aws-chunked data short of decoded length");
  }
  FS_RETURN_IF_ERROR(observer_.on_chunk_end());
  phase_ = kChunkTrailers;
  return Status::Ok();
}

Status AwsChunkedBody::on_trailer_line(std::string_view line) {
  trailer_bytes_ += line.size() + 2;
  if (trailer_bytes_ > kMaxTrailerBytes) return InvalidChunk("aws-chunked trailers too large");
  if (saw_trailer_signature_) return InvalidChunk("trailer after x-amz-trailer-signature");
  size_t colon = line.find(':');
  if (colon == std::string_view::npos) return InvalidChunk("aws-chunked trailer without ':'");
  std::string_view name = line.substr(0, colon);
  std::string_view value = ascii::TrimWhitespace(line.substr(colon + 1));
  if (!ascii::IsToken(name)) return InvalidChunk("invalid aws-chunked trailer name");
  for (char c : value) {
    if (!ascii::IsFieldValueChar(c)) return InvalidChunk("invalid aws-chunked trailer value");
  }
  if (ascii::EqualsIgnoreCase(name, "x-amz-trailer-signature")) {
    if (value.size() != kSignatureLength || !IsHex(value)) {
      return InvalidChunk("invalid x-amz-trailer-signature");
    }
    std::memcpy(trailer_signature_, value.data(), kSignatureLength);
    saw_trailer_signature_ = true;
    return Status::Ok();
  }
  return observer_.on_trailer(name, value);
}

Status AwsChunkedBody::finish() {
  std::string_view signature;
  if (saw_trailer_signature_) signature = std::string_view(trailer_signature_, kSignatureLength);
  return observer_.on_trailers_end(signature);
}

Result<size_t> AwsChunkedBody::read_data(std::span<char> out) {
  size_t want = static_cast<size_t>(std::min<uint64_t>(out.size(), chunk_left_));
  size_t n = 0;
  if (begin_ < end_) {
    n = std::min(want, end_ - begin_);
    std::memcpy(out.data(), buf_ + begin_, n);
    begin_ += n;
  } else {
    Result<size_t> r = in_.read(out.first(want));
    if (!r) return std::unexpected(set_error(r.error()));
    if (*r == 0)
      return std::unexpected(set_error(Status(Code::kIncompleteBody, "aws-chunked cut")));
    n = *r;
  }
  observer_.on_chunk_data(out.first(n));
  chunk_left_ -= n;
  delivered_ += n;
  if (chunk_left_ == 0) {
    Status s = observer_.on_chunk_end();
    if (!s.ok()) return std::unexpected(set_error(s));
    phase_ = kChunkDataCrlf;
  }
  return n;
}

Result<size_t> AwsChunkedBody::read(std::span<char> out) {
  if (!error_.ok()) return std::unexpected(error_);
  while (!done_) {
    if (phase_ == kChunkData) {
      if (out.empty()) return size_t{0};
      return read_data(out);
    }
    if (phase_ == kChunkEnd) {
      // The entity must end with the last frame; anything after it is malformed.
      char extra = 0;
      Result<size_t> n = size_t{1};
      if (begin_ == end_) n = in_.read(std::span<char>(&extra, 1));
      if (!n) return std::unexpected(set_error(n.error()));
      if (*n != 0)
        return std::unexpected(set_error(InvalidChunk("data after the final aws-chunked frame")));
      done_ = true;
      break;
    }
    // Only right after the final chunk's header may the stream end instead of a line.
    Result<std::string_view> line = next_line(phase_ == kChunkTrailers && trailer_bytes_ == 0);
    if (!line) return std::unexpected(set_error(line.error()));
    Status s;
    if (phase_ == kChunkHeader) {
      s = on_header_line(*line);
    } else if (phase_ == kChunkDataCrlf) {
      s = line->empty() ? Status::Ok() : InvalidChunk("aws-chunked data not followed by CRLF");
      phase_ = kChunkHeader;
    } else if (line->data() == nullptr || line->empty()) {
      // End of the trailer section (or of the stream, right after the final chunk).
      s = finish();
      phase_ = kChunkEnd;
    } else {
      s = on_trailer_line(*line);
    }
    if (!s.ok()) return std::unexpected(set_error(s));
  }
  return size_t{0};
}

}  // namespace flashstor::http
