// FakeTransport: an in-memory http::Transport for tests. recv() hands out the scripted input
// at most `piece` bytes at a time; sendv() records every call and the bytes sent.
#pragma once

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "flashstor/http/transport.h"

namespace flashstor::http::testing {

class FakeTransport final : public Transport {
 public:
  explicit FakeTransport(std::string input = {}, size_t piece = SIZE_MAX)
      : input_(std::move(input)), piece_(piece) {}

  Result<size_t> recv(std::span<char> out) override {
    ++recv_calls;
    if (fail_recv) return Err(Code::kTimeout, "fake recv timeout");
    size_t n = std::min({piece_, out.size(), input_.size() - pos_});
    std::memcpy(out.data(), input_.data() + pos_, n);
    pos_ += n;
    return n;
  }

  Status sendv(std::span<const iovec> iov) override {
    iov_counts.push_back(iov.size());
    if (fail_send) return Status(Code::kCancelled, "fake peer gone");
    for (const iovec& v : iov) sent.append(static_cast<const char*>(v.iov_base), v.iov_len);
    return Status::Ok();
  }

  size_t consumed() const { return pos_; }
  std::string_view remaining() const { return std::string_view(input_).substr(pos_); }

  std::string sent;
  std::vector<size_t> iov_counts;  // one entry per sendv() call
  int recv_calls = 0;
  bool fail_recv = false;
  bool fail_send = false;

 private:
  std::string input_;
  size_t pos_ = 0;
  size_t piece_;
};

}  // namespace flashstor::http::testing
