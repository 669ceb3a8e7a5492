// MemoryTransport: an http::Transport over an in-memory byte string that delivers at most
// `piece` bytes per recv(), so fuzz harnesses exercise every resumption point of a decoder.
#pragma once

#include <algorithm>
#include <cstring>
#include <string_view>

#include "flashstor/http/transport.h"

namespace flashstor::fuzz {

class MemoryTransport final : public http::Transport {
 public:
  MemoryTransport(std::string_view in, size_t piece) : in_(in), piece_(piece) {}
  Result<size_t> recv(std::span<char> out) override {
    size_t n = std::min({piece_, out.size(), in_.size()});
    if (n > 0) std::memcpy(out.data(), in_.data(), n);
    in_.remove_prefix(n);
    return n;
  }
  Status sendv(std::span<const iovec>) override { return Status::Ok(); }
  std::string_view remaining() const { return in_; }

 private:
  std::string_view in_;
  size_t piece_;
};

}  // namespace flashstor::fuzz
