// Size-rotated audit file: buffered appends, rename chain path.N-1 -> path.N, fsync policy.
#include "flashstor/obs/rotating_file_sink.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

namespace flashstor::obs {
namespace {

constexpr size_t kBufferFlushBytes = 64 * 1024;

std::string RotatedName(const std::string& path, unsigned i) {
  return path + "." + std::to_string(i);
}

}  // namespace

Result<std::unique_ptr<RotatingFileSink>> RotatingFileSink::Open(RotatingFileOptions options) {
  if (options.path.empty() || options.max_files == 0 || options.max_files > 100 ||
      options.max_bytes < 4096) {
    return Err(Code::kInvalidArgument, "audit file: bad path, max_files or max_bytes");
  }
  std::unique_ptr<RotatingFileSink> sink(new RotatingFileSink(std::move(options)));
  if (Status st = sink->open_file(); !st.ok()) return std::unexpected(st);
  sink->buffer_.reserve(kBufferFlushBytes + 8192);
  return sink;
}

RotatingFileSink::~RotatingFileSink() {
  if (fd_ >= 0) (void)close();
}

Status RotatingFileSink::open_file() {
  fd_ = ::open(options_.path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (fd_ < 0) return StatusFromErrno(errno, "audit file: open");
  struct stat st {};
  if (fstat(fd_, &st) != 0) return StatusFromErrno(errno, "audit file: fstat");
  file_bytes_ = static_cast<uint64_t>(st.st_size);
  last_sync_ = std::chrono::steady_clock::now();
  return Status::Ok();
}

Status RotatingFileSink::write_all(std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd_, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return StatusFromErrno(errno, "audit file: write");
    }
    data.remove_prefix(static_cast<size_t>(n));
    dirty_ = true;
  }
  return Status::Ok();
}

Status RotatingFileSink::rotate() {
  Status st = write_all(buffer_);
  buffer_.clear();
  if (fd_ >= 0) {
    (void)fdatasync(fd_);
    ::close(fd_);
    fd_ = -1;
  }
  // Oldest falls off: path.N-1 -> path.N, ..., path -> path.1. Missing files are fine.
  for (unsigned i = options_.max_files; i > 1; --i) {
    const std::string from = RotatedName(options_.path, i - 1);
    (void)std::rename(from.c_str(), RotatedName(options_.path, i).c_str());
  }
  if (std::rename(options_.path.c_str(), RotatedName(options_.path, 1).c_str()) != 0 &&
      errno != ENOENT) {
    st = StatusFromErrno(errno, "audit file: rename");
  }
  ++rotations_;
  dirty_ = false;
  Status reopened = open_file();
  return reopened.ok() ? st : reopened;
}

Status RotatingFileSink::append(const AuditEntry& /*entry*/, std::string_view json_line) {
  if (fd_ < 0) FS_RETURN_IF_ERROR(open_file());  // a failed reopen is retried per record
  if (file_bytes_ > 0 && file_bytes_ + json_line.size() > options_.max_bytes) {
    FS_RETURN_IF_ERROR(rotate());
  }
  buffer_.append(json_line);
  file_bytes_ += json_line.size();
  if (buffer_.size() >= kBufferFlushBytes) return flush();
  return Status::Ok();
}

Status RotatingFileSink::flush() {
  if (fd_ < 0) return Status(Code::kIoError, "audit file: not open");
  Status st = write_all(buffer_);
  buffer_.clear();
  const auto now = std::chrono::steady_clock::now();
  if (dirty_ && now - last_sync_ >= options_.fsync_interval) {
    if (fdatasync(fd_) != 0 && st.ok()) st = StatusFromErrno(errno, "audit file: fdatasync");
    dirty_ = false;
    last_sync_ = now;
  }
  return st;
}

Status RotatingFileSink::close() {
  if (fd_ < 0) return Status::Ok();
  Status st = write_all(buffer_);
  buffer_.clear();
  if (fdatasync(fd_) != 0 && st.ok()) st = StatusFromErrno(errno, "audit file: fdatasync");
  ::close(fd_);
  fd_ = -1;
  return st;
}

}  // namespace flashstor::obs
