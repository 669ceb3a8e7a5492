// PlainTransport: budget-bounded blocking I/O on a non-blocking socket (poll + recv/sendmsg).
#include "flashstor/net/plain_transport.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <algorithm>
#include <cerrno>

namespace flashstor::net {

Result<size_t> PlainTransport::recv(std::span<char> out) {
  for (;;) {
    ssize_t n = ::recv(fd_, out.data(), out.size(), 0);
    if (n >= 0) {
      budget_.moved(static_cast<size_t>(n));
      return static_cast<size_t>(n);
    }
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) {
      return Err(Code::kCancelled, "connection reset by peer", errno);
    }
    if (Status s = WaitForPeer(fd_, POLLIN, budget_, false); !s.ok()) return std::unexpected(s);
  }
}

Status PlainTransport::sendv(std::span<const iovec> iov) {
  // Copy the small iovec array so partial writes can advance it.
  constexpr size_t kMaxIov = 64;
  iovec local[kMaxIov];
  size_t count = std::min(iov.size(), kMaxIov);
  if (iov.size() > kMaxIov) return Status(Code::kInternal, "too many iovecs");
  std::copy_n(iov.begin(), count, local);
  iovec* cur = local;
  while (count > 0) {
    if (cur->iov_len == 0) {
      ++cur;
      --count;
      continue;
    }
    msghdr msg{};
    msg.msg_iov = cur;
    msg.msg_iovlen = count;
    ssize_t n = ::sendmsg(fd_, &msg, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) {
        return Status(Code::kCancelled, "connection closed by peer", errno);
      }
      FS_RETURN_IF_ERROR(WaitForPeer(fd_, POLLOUT, budget_, true));
      continue;
    }
    size_t left = static_cast<size_t>(n);
    budget_.moved(left);
    while (count > 0 && left >= cur->iov_len) {
      left -= cur->iov_len;
      ++cur;
      --count;
    }
    if (count > 0) {
      cur->iov_base = static_cast<char*>(cur->iov_base) + left;
      cur->iov_len -= left;
    }
  }
  return Status::Ok();
}

}  // namespace flashstor::net
