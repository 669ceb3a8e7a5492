// ClientLimiter: requests queued or running per client address, shared by every event loop, so
// one address (or a few) cannot hold the whole worker pool; beyond the cap the loop answers 503.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace flashstor::net {

class ClientLimiter {
 public:
  // cap <= 0 disables the limit.
  explicit ClientLimiter(int cap) : cap_(cap) {}

  // Counts one more request of client; false (and nothing counted) when it is at the cap.
  bool admit(std::string_view client);
  // Undoes one admit(). The map holds only clients with requests in flight.
  void release(std::string_view client);
  size_t clients() const;

 private:
  int cap_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, int> in_flight_;
};

}  // namespace flashstor::net
