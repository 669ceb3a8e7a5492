// MultipartFormReader: a streaming reader of a multipart/form-data body (RFC 7578) for POST
// Object: part headers are parsed and bounded, part contents are read incrementally through a
// fixed buffer, so a file part streams without being held whole.
#pragma once

#include <array>
#include <span>
#include <string>
#include <string_view>

#include "flashstor/common/data_stream.h"
#include "flashstor/common/status.h"

namespace flashstor::s3 {

inline constexpr size_t kMaxFormBoundary = 70;           // RFC 2046
inline constexpr size_t kMaxFormPartHeaderBytes = 4096;  // one part's header block
inline constexpr size_t kMaxFormSkipBytes = 64 * 1024;   // preamble or unread rest of a part

struct FormPart {
  std::string name;      // Content-Disposition name, as sent
  std::string filename;  // Content-Disposition filename (empty when absent)
  bool has_filename = false;
  std::string content_type;  // the part's Content-Type, empty when absent
};

// The boundary parameter of a "multipart/form-data; boundary=..." Content-Type (quotes
// removed); empty when the type is another or the boundary is missing or too long.
std::string_view FormBoundary(std::string_view content_type);

class MultipartFormReader {
 public:
  // Framing errors are kInvalidArgument with this message (S3: MalformedPOSTRequest).
  static constexpr std::string_view kMalformed =
      "The body of your POST request is not well-formed multipart/form-data.";

  MultipartFormReader(DataSource& body, std::string_view boundary);

  // Skips what is left of the current part (at most kMaxFormSkipBytes: the preamble, or a part
  // the caller did not read) and reads the next part's headers into *part.
  // false after the closing delimiter. Errors: kInvalidArgument (kMalformed) for a body that
  // ends early or breaks the framing; the body's own read errors.
  Result<bool> next_part(FormPart* part);

  // Reads content of the current part; 0 at its end. Same errors as next_part.
  Result<size_t> read(std::span<char> out);

  // Reads the rest of the current part into out (replacing it); false once it would exceed
  // max bytes (out then holds a prefix).
  Result<bool> read_value(size_t max, std::string& out);

 private:
  Status fill();  // reads more input after compacting; kMalformed at end of input
  Status parse_headers(FormPart* part);

  DataSource& body_;
  std::string delimiter_;  // "\r\n--" boundary
  std::array<char, 64 * 1024> buf_;
  size_t begin_ = 0;
  size_t end_ = 0;
  bool eof_ = false;
  bool in_part_ = true;  // the preamble counts as a part whose content is skipped
  bool done_ = false;
};

// A DataSource over the current part of a reader (the file part of a POST).
class FormPartSource final : public DataSource {
 public:
  explicit FormPartSource(MultipartFormReader& reader) : reader_(reader) {}
  Result<size_t> read(std::span<char> out) override { return reader_.read(out); }

 private:
  MultipartFormReader& reader_;
};

}  // namespace flashstor::s3
