// ClientShares: each client address's share of the in-flight requests. Requests beyond an
// address's share wait here, holding no task, and start as that address's earlier requests
// finish, so one address (or a few) cannot take the whole budget and is still served in order.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace flashstor::net {

struct Connection;

// Not thread-safe: RequestTasks calls it under its own mutex.
class ClientShares {
 public:
  // share <= 0: no limit (every request starts at once).
  explicit ClientShares(int share) : share_(share) {}

  // True when c may start now (counted as running); false when it waits for its address.
  bool try_start(std::string_view client, Connection* c);
  // One request of client finished: the next waiting request of that address, now counted as
  // running, or nullptr.
  Connection* finish(std::string_view client);
  size_t waiting() const { return waiting_; }
  // Takes out the waiting requests queued at or before cutoff_ms (Connection::queued_ms).
  std::vector<Connection*> take_waiting_since(int64_t cutoff_ms);
  // Every waiting request, for shutdown; the map is left empty.
  std::deque<Connection*> take_all_waiting();

 private:
  struct Share {
    int running = 0;
    std::deque<Connection*> waiting;
  };
  int share_;
  size_t waiting_ = 0;
  std::unordered_map<std::string, Share> clients_;  // only addresses with requests in the pool
};

}  // namespace flashstor::net
