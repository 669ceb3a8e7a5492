// The authorisation epoch: one process-wide counter bumped after every change that can alter
// an authorisation decision (IAM identities and policies, bucket settings: policy, public
// access block, deletion). Decision caches tag entries with the epoch read before deciding,
// so a change is seen by the very next request on every thread.
#pragma once

#include <atomic>
#include <cstdint>

namespace flashstor {

inline std::atomic<uint64_t> g_authz_epoch{1};

// Read before evaluating: a decision made on state at least as new as this epoch.
inline uint64_t AuthzEpoch() {
  return g_authz_epoch.load(std::memory_order_acquire);
}

// Call after the change is published (visible to readers), before answering its caller.
inline void BumpAuthzEpoch() {
  g_authz_epoch.fetch_add(1, std::memory_order_acq_rel);
}

}  // namespace flashstor
