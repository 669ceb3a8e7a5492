// ClientLimiter: a mutex-guarded map from address to requests in flight (dispatch and
// completion only: twice per request, never per byte).
#include "client_limiter.h"

namespace flashstor::net {

bool ClientLimiter::admit(std::string_view client) {
  if (cap_ <= 0) return true;
  std::lock_guard<std::mutex> lock(mu_);
  auto [it, inserted] = in_flight_.try_emplace(std::string(client), 0);
  if (it->second >= cap_) return false;
  ++it->second;
  return true;
}

void ClientLimiter::release(std::string_view client) {
  if (cap_ <= 0) return;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = in_flight_.find(std::string(client));
  if (it == in_flight_.end()) return;
  if (--it->second <= 0) in_flight_.erase(it);
}

size_t ClientLimiter::clients() const {
  std::lock_guard<std::mutex> lock(mu_);
  return in_flight_.size();
}

}  // namespace flashstor::net
