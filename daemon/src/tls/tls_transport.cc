// TlsTransport: SSL_read/SSL_write loops with poll() waits bounded by the I/O timeout.
#include "flashstor/tls/tls_transport.h"

#include <poll.h>

#include <cerrno>
#include <cstring>

namespace flashstor::tls {

Status TlsTransport::wait(TlsIoStatus want) {
  pollfd pfd{conn_.fd(), static_cast<short>(want == TlsIoStatus::kWantRead ? POLLIN : POLLOUT), 0};
  const auto deadline = std::chrono::steady_clock::now() + io_timeout_;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return Status(Code::kTimeout, "tls: I/O deadline passed");
    const int r = poll(&pfd, 1, static_cast<int>(std::min<int64_t>(left.count(), 1 << 30)));
    if (r > 0) return Status::Ok();  // readable/writable or HUP/ERR: the SSL call will tell
    if (r == 0) return Status(Code::kTimeout, "tls: I/O deadline passed");
    if (errno != EINTR) return StatusFromErrno(errno, "tls: poll");
  }
}

Result<size_t> TlsTransport::recv(std::span<char> out) {
  if (out.empty()) return 0;
  for (;;) {
    const TlsIo io = conn_.read(out);
    switch (io.status) {
      case TlsIoStatus::kOk:
        return io.bytes;
      case TlsIoStatus::kClosed:
        return 0;
      case TlsIoStatus::kError:
        return std::unexpected(io.error);
      case TlsIoStatus::kWantRead:
      case TlsIoStatus::kWantWrite:
        if (Status st = wait(io.status); !st.ok()) return std::unexpected(st);
    }
  }
}

Status TlsTransport::write_all(const char* data, size_t len) {
  while (len > 0) {
    const size_t slice = std::min(len, kRecordBytes);
    const TlsIo io = conn_.write(std::span<const char>(data, slice));
    switch (io.status) {
      case TlsIoStatus::kOk:
        data += io.bytes;
        len -= io.bytes;
        break;
      case TlsIoStatus::kClosed:
        return Status(Code::kCancelled, "tls: peer closed");
      case TlsIoStatus::kError:
        return io.error;
      case TlsIoStatus::kWantRead:
      case TlsIoStatus::kWantWrite:
        FS_RETURN_IF_ERROR(wait(io.status));
    }
  }
  return Status::Ok();
}

Status TlsTransport::sendv(std::span<const iovec> iov) {
  char stage[kRecordBytes];
  size_t staged = 0;
  for (const iovec& v : iov) {
    const char* base = static_cast<const char*>(v.iov_base);
    if (v.iov_len == 0) continue;
    if (v.iov_len < kCoalesceBelow) {
      if (staged + v.iov_len > sizeof(stage)) {
        FS_RETURN_IF_ERROR(write_all(stage, staged));
        staged = 0;
      }
      std::memcpy(stage + staged, base, v.iov_len);
      staged += v.iov_len;
      continue;
    }
    if (staged > 0) {
      FS_RETURN_IF_ERROR(write_all(stage, staged));
      staged = 0;
    }
    FS_RETURN_IF_ERROR(write_all(base, v.iov_len));
  }
  return staged > 0 ? write_all(stage, staged) : Status::Ok();
}

}  // namespace flashstor::tls
