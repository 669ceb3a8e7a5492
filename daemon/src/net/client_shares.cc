// ClientShares: per-address running counts and FIFO queues of requests over their share.
#include "client_shares.h"

#include "connection.h"

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

std::vector<Connection*> ClientShares::take_waiting_since(int64_t cutoff_ms) {
  std::vector<Connection*> out;
  for (auto& [client, s] : clients_) {
    while (!s.waiting.empty() && s.waiting.front()->live->queued_ms <= cutoff_ms) {
      out.push_back(s.waiting.front());
      s.waiting.pop_front();
      --waiting_;
    }
  }
  return out;
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
