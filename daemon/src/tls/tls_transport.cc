// TlsTransport: SSL_read/SSL_write loops with poll() waits bounded by the request's budget.
#include "flashstor/tls/tls_transport.h"

#include <poll.h>

#include <cerrno>
#include <cstring>

namespace flashstor::tls {

// Wire bytes are not visible through SSL, so the plaintext bytes stand for them in the budget.
Status TlsTransport::wait(TlsIoStatus want) {
  const bool readable = want == TlsIoStatus::kWantRead;
  return net::WaitForPeer(conn_.fd(), readable ? POLLIN : POLLOUT, budget_, !readable);
}

Result<size_t> TlsTransport::recv(std::span<char> out) {
  if (out.empty()) return 0;
  for (;;) {
    const TlsIo io = conn_.read(out);
    switch (io.status) {
      case TlsIoStatus::kOk:
        budget_.moved(io.bytes);
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
        budget_.moved(io.bytes);
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
