// ClientShares: per-address running counts and FIFO queues of requests over their share.
#include "client_shares.h"

namespace flashstor::net {

bool ClientShares::try_start(std::string_view client, Connection* c) {
  if (share_ <= 0) return true;
  Share& s = clients_[std::string(client)];
  if (s.running < share_) {
    ++s.running;
    return true;
  }
  s.waiting.push_back(c);
  ++waiting_;
  return false;
}

Connection* ClientShares::finish(std::string_view client) {
  if (share_ <= 0) return nullptr;
  auto it = clients_.find(std::string(client));
  if (it == clients_.end()) return nullptr;
  Share& s = it->second;
  if (!s.waiting.empty()) {
    Connection* next = s.waiting.front();
    s.waiting.pop_front();
    --waiting_;
    return next;  // takes over the finished request's place: running stays the same
  }
  if (--s.running <= 0) clients_.erase(it);
  return nullptr;
}

std::deque<Connection*> ClientShares::take_all_waiting() {
  std::deque<Connection*> all;
  for (auto& [client, s] : clients_) {
    for (Connection* c : s.waiting) all.push_back(c);
  }
  clients_.clear();
  waiting_ = 0;
  return all;
}

}  // namespace flashstor::net
