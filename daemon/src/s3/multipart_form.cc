// MultipartFormReader: delimiter search over a sliding buffer, part header parsing
// (Content-Disposition name/filename, Content-Type), bounded at every step.
#include "multipart_form.h"

#include <algorithm>
#include <cstring>

#include "flashstor/s3/headers.h"

namespace flashstor::s3 {
namespace {

Status Malformed() {
  return Status(Code::kInvalidArgument, MultipartFormReader::kMalformed);
}

// One parameter value of a header: "quoted \"text\"" or a bare token; *rest advances past it.
std::string ParamValue(std::string_view* rest) {
  std::string out;
  std::string_view s = *rest;
  if (!s.empty() && s.front() == '"') {
    size_t i = 1;
    for (; i < s.size() && s[i] != '"'; ++i) {
      if (s[i] == '\\' && i + 1 < s.size()) ++i;
      out.push_back(s[i]);
    }
    *rest = s.substr(std::min(i + 1, s.size()));
    return out;
  }
  size_t end = s.find(';');
  out.assign(Trim(s.substr(0, end)));
  *rest = end == std::string_view::npos ? std::string_view() : s.substr(end);
  return out;
}

// "form-data; name=\"key\"; filename=\"a.txt\"".
bool ParseDisposition(std::string_view v, FormPart* part) {
  size_t semi = v.find(';');
  if (!IEquals(Trim(v.substr(0, semi)), "form-data")) return false;
  std::string_view rest = semi == std::string_view::npos ? std::string_view() : v.substr(semi);
  bool has_name = false;
  while (!rest.empty()) {
    rest.remove_prefix(1);  // ';'
    rest = Trim(rest);
    size_t eq = rest.find('=');
    if (eq == std::string_view::npos) break;
    std::string_view pname = Trim(rest.substr(0, eq));
    rest = Trim(rest.substr(eq + 1));
    std::string value = ParamValue(&rest);
    if (IEquals(pname, "name")) {
      part->name = std::move(value);
      has_name = true;
    } else if (IEquals(pname, "filename")) {
      part->filename = std::move(value);
      part->has_filename = true;
    }
    size_t next = rest.find(';');
    rest = next == std::string_view::npos ? std::string_view() : rest.substr(next);
  }
  return has_name;
}

}  // namespace

std::string_view FormBoundary(std::string_view content_type) {
  size_t semi = content_type.find(';');
  if (!IEquals(Trim(content_type.substr(0, semi)), "multipart/form-data")) return {};
  std::string_view rest = content_type;
  while (semi != std::string_view::npos) {
    rest = rest.substr(semi + 1);
    semi = rest.find(';');
    std::string_view param = Trim(rest.substr(0, semi));
    if (param.size() > 9 && IEquals(param.substr(0, 9), "boundary=")) {
      std::string_view b = param.substr(9);
      if (b.size() >= 2 && b.front() == '"' && b.back() == '"') b = b.substr(1, b.size() - 2);
      if (b.empty() || b.size() > kMaxFormBoundary) return {};
      return b;
    }
  }
  return {};
}

MultipartFormReader::MultipartFormReader(DataSource& body, std::string_view boundary)
    : body_(body), delimiter_("\r\n--") {
  delimiter_.append(boundary);
  // A virtual CRLF lets the first delimiter (at the very start of the body) match like the
  // others; whatever precedes it is the preamble, skipped as the content of part "-1".
  buf_[0] = '\r';
  buf_[1] = '\n';
  end_ = 2;
}

Status MultipartFormReader::fill() {
  if (begin_ > 0) {
    std::memmove(buf_.data(), buf_.data() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  if (eof_ || end_ == buf_.size()) return Malformed();
  Result<size_t> n = body_.read(std::span<char>(buf_.data() + end_, buf_.size() - end_));
  if (!n) return n.error();
  if (*n == 0) {
    eof_ = true;
    return Malformed();
  }
  end_ += *n;
  return Status::Ok();
}

Result<size_t> MultipartFormReader::read(std::span<char> out) {
  if (!in_part_ || out.empty()) return 0;
  for (;;) {
    std::string_view window(buf_.data() + begin_, end_ - begin_);
    size_t at = window.find(delimiter_);
    size_t available;
    if (at != std::string_view::npos) {
      if (at == 0) {
        begin_ += delimiter_.size();
        in_part_ = false;
        return 0;
      }
      available = at;
    } else {
      // The tail could be the start of a delimiter: keep it until more input decides.
      available = window.size() >= delimiter_.size() ? window.size() - delimiter_.size() + 1 : 0;
    }
    if (available > 0) {
      size_t n = std::min(available, out.size());
      std::memcpy(out.data(), window.data(), n);
      begin_ += n;
      return n;
    }
    if (Status s = fill(); !s.ok()) return std::unexpected(s);
  }
}

Result<bool> MultipartFormReader::read_value(size_t max, std::string& out) {
  out.clear();
  std::array<char, 4096> chunk;
  for (;;) {
    Result<size_t> n = read(chunk);
    if (!n) return std::unexpected(n.error());
    if (*n == 0) return true;
    if (out.size() + *n > max) return false;
    out.append(chunk.data(), *n);
  }
}

Result<bool> MultipartFormReader::next_part(FormPart* part) {
  if (done_) return false;
  std::array<char, 4096> skip;
  size_t skipped = 0;
  while (in_part_) {
    Result<size_t> n = read(skip);
    if (!n) return std::unexpected(n.error());
    if (*n == 0) break;
    if ((skipped += *n) > kMaxFormSkipBytes) return std::unexpected(Malformed());
  }
  while (end_ - begin_ < 2) {
    if (Status s = fill(); !s.ok()) return std::unexpected(s);
  }
  if (buf_[begin_] == '-' && buf_[begin_ + 1] == '-') {
    done_ = true;  // the closing delimiter; the epilogue is ignored
    return false;
  }
  // Transport padding (RFC 2046) may follow a delimiter before its CRLF.
  for (;;) {
    while (begin_ < end_ && (buf_[begin_] == ' ' || buf_[begin_] == '\t')) ++begin_;
    if (end_ - begin_ >= 2) break;
    if (Status s = fill(); !s.ok()) return std::unexpected(s);
  }
  if (buf_[begin_] != '\r' || buf_[begin_ + 1] != '\n') return std::unexpected(Malformed());
  begin_ += 2;
  if (Status s = parse_headers(part); !s.ok()) return std::unexpected(s);
  in_part_ = true;
  return true;
}

Status MultipartFormReader::parse_headers(FormPart* part) {
  *part = FormPart{};
  size_t block_end;
  for (;;) {
    std::string_view window(buf_.data() + begin_, end_ - begin_);
    // "\r\n" at once: a part without headers (no Content-Disposition: refused below).
    block_end = window.starts_with("\r\n") ? 0 : window.find("\r\n\r\n");
    if (block_end != std::string_view::npos) break;
    if (window.size() > kMaxFormPartHeaderBytes) return Malformed();
    FS_RETURN_IF_ERROR(fill());
  }
  std::string_view block(buf_.data() + begin_, block_end);
  begin_ += block_end + (block_end == 0 ? 2 : 4);
  if (block_end > kMaxFormPartHeaderBytes) return Malformed();
  bool disposition = false;
  while (!block.empty()) {
    size_t eol = block.find("\r\n");
    std::string_view line = block.substr(0, eol);
    block = eol == std::string_view::npos ? std::string_view() : block.substr(eol + 2);
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) return Malformed();
    std::string_view name = Trim(line.substr(0, colon));
    std::string_view value = Trim(line.substr(colon + 1));
    if (IEquals(name, "content-disposition")) {
      if (disposition || !ParseDisposition(value, part)) return Malformed();
      disposition = true;
    } else if (IEquals(name, "content-type")) {
      part->content_type.assign(value);
    }
  }
  return disposition ? Status::Ok() : Malformed();
}

}  // namespace flashstor::s3
