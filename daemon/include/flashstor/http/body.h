// Body decoders: each is a DataSource that yields entity bytes from the raw connection stream
// (bytes already buffered after the head, then the transport) and stops exactly at the end of
// the body, so the next request on a keep-alive connection starts at the right byte.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "flashstor/common/data_stream.h"
#include "flashstor/http/transport.h"

namespace flashstor::http {

// The raw byte stream of a connection, buffered: first the bytes read past the head, then
// reads from the transport into a buffer the connection owns (from its arena). Decoders use
// peek()/consume() so they never take bytes past the end of their body: whatever stays
// buffered is the start of the next pipelined request.
class ConnectionInput final : public DataSource {
 public:
  // `buffer` is scratch space owned by the caller; `buffered` the bytes already in it
  // (buffered.data() must point into buffer).
  ConnectionInput(std::span<char> buffer, std::string_view buffered, Transport& transport);
  // Plain reads (after the buffer is drained, straight from the transport into out).
  Result<size_t> read(std::span<char> out) override;
  // Returns buffered bytes, reading from the transport first if none are buffered;
  // empty view means the peer closed.
  Result<std::string_view> peek();
  void consume(size_t n);
  // Bytes buffered and not consumed (start of a pipelined request).
  std::string_view leftover() const;
  uint64_t bytes_from_transport() const { return from_transport_; }

 private:
  std::span<char> buffer_;
  size_t begin_ = 0;
  size_t end_ = 0;
  Transport& transport_;
  uint64_t from_transport_ = 0;
};

// Exactly `length` bytes; kIncompleteBody when the stream ends early.
class ContentLengthBody final : public DataSource {
 public:
  ContentLengthBody(ConnectionInput& in, uint64_t length) : in_(in), remaining_(length) {}
  Result<size_t> read(std::span<char> out) override;
  uint64_t remaining() const { return remaining_; }

 private:
  ConnectionInput& in_;
  uint64_t remaining_;
};

// Transfer-Encoding: chunked (RFC 9112 §7.1): chunk extensions ignored, trailers discarded,
// chunk-size lines bounded (4 KiB), trailer section bounded (16 KiB), CRLF line endings only;
// malformed framing is kInvalidRequest, early EOF kIncompleteBody, more than max_bytes of data
// kTooLarge. Consumes exactly through the final CRLF (a byte-wise state machine, so framing may
// arrive split anywhere). Errors are final.
class ChunkedBody final : public DataSource {
 public:
  static constexpr size_t kMaxSizeLine = 4 * 1024;
  static constexpr size_t kMaxTrailerBytes = 16 * 1024;

  explicit ChunkedBody(ConnectionInput& in, uint64_t max_bytes = UINT64_MAX)
      : in_(in), max_bytes_(max_bytes) {}
  Result<size_t> read(std::span<char> out) override;
  bool done() const { return done_; }

 private:
  Status step(char c);
  Status step_size(char c);

  ConnectionInput& in_;
  uint64_t max_bytes_;
  uint64_t total_ = 0;
  uint64_t chunk_left_ = 0;
  size_t line_bytes_ = 0;
  size_t trailer_bytes_ = 0;
  int phase_ = 0;
  bool done_ = false;
  Status error_;
};

// Observer of the aws-chunked framing (SigV4 streaming payloads): auth/ implements it to
// check each chunk's signature chained from the seed signature, and to collect trailers.
class AwsChunkObserver {
 public:
  virtual ~AwsChunkObserver() = default;
  // signature is empty for STREAMING-UNSIGNED-PAYLOAD-TRAILER.
  virtual Status on_chunk_begin(std::string_view signature, uint64_t size) = 0;
  virtual void on_chunk_data(std::span<const char> data) = 0;
  // After the last byte of a chunk (including the final 0-size chunk): verify it.
  virtual Status on_chunk_end() = 0;
  virtual Status on_trailer(std::string_view name, std::string_view value) = 0;
  // After the trailer section; trailer_signature from x-amz-trailer-signature (may be empty).
  virtual Status on_trailers_end(std::string_view trailer_signature) = 0;
};

// Content-Encoding: aws-chunked, layered over the entity body (ContentLengthBody or
// ChunkedBody), so it reads through a DataSource and keeps its own small line buffer.
// Frames: `hex-size[;chunk-signature=<64 hex>]\r\n<data>\r\n` ..., the final
// `0[;chunk-signature=...]\r\n`, then trailer lines `name:value\r\n` (x-amz-trailer-signature
// last) and an empty line `\r\n`. Without trailers the stream may also end right after the
// final chunk's header line (AWS SDKs differ). `decoded_length` from
// x-amz-decoded-content-length (checked: more or fewer data bytes is an error). Bounded chunk
// header lines (4 KiB) and trailers (16 KiB). Call order: on_chunk_begin, on_chunk_data...,
// on_chunk_end (before the chunk's last bytes are returned, so a bad signature fails the read
// that would complete the chunk), then on_trailer... and on_trailers_end exactly once before
// read() returns 0. Bytes after the final frame are an error. Malformed framing is
// kInvalidRequest, early EOF kIncompleteBody, observer errors are passed through. Errors are
// final.
class AwsChunkedBody final : public DataSource {
 public:
  static constexpr size_t kMaxLine = 4 * 1024;
  static constexpr size_t kMaxTrailerBytes = 16 * 1024;

  AwsChunkedBody(DataSource& in, AwsChunkObserver& observer, uint64_t decoded_length);
  Result<size_t> read(std::span<char> out) override;

 private:
  Result<size_t> read_data(std::span<char> out);
  Result<std::string_view> next_line(bool eof_ok);
  Status on_header_line(std::string_view line);
  Status on_trailer_line(std::string_view line);
  Status finish();
  Status set_error(Status s);

  DataSource& in_;
  AwsChunkObserver& observer_;
  uint64_t decoded_length_;
  uint64_t delivered_ = 0;
  uint64_t chunk_left_ = 0;
  size_t trailer_bytes_ = 0;
  int phase_ = 0;
  bool done_ = false;
  bool saw_trailer_signature_ = false;
  Status error_;
  size_t begin_ = 0;
  size_t end_ = 0;
  char trailer_signature_[64] = {};
  char buf_[kMaxLine];
};

}  // namespace flashstor::http
