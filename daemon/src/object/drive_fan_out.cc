// QuorumFanOut and CleanupFanOut: the engine's quorum policies on top of WorkerPool::run_quorum.
#include "drive_fan_out.h"

#include <chrono>

namespace flashstor::object::internal {

std::vector<char> CleanupFanOut(const FanOutDrives& on, std::function<bool(size_t)> fn) {
  constexpr std::chrono::milliseconds kCleanupMaxWait{500};
  const std::vector<storage::StorageApi*>& drives = on.drives;
  const size_t n = drives.size();
  std::vector<char> skip(n, 0);
  for (size_t d = 0; d < n; ++d) skip[d] = drives[d] == nullptr || on.stragglers->at(d) > 0;
  WorkerPool::QuorumPolicy policy;
  policy.needed = n;  // every task counts as a success: only all answers settle it
  policy.max_wait = kCleanupMaxWait;
  policy.stragglers = on.stragglers;
  auto results = std::make_shared<std::vector<char>>(n, 0);
  std::vector<char> answered = on.pool.run_quorum(
      n,
      [skip, results, fn = std::move(fn)](size_t d) {
        if (skip[d] == 0) (*results)[d] = fn(d);
        return true;
      },
      policy);
  for (size_t d = 0; d < n; ++d) answered[d] = answered[d] != 0 && (*results)[d] != 0;
  return answered;
}

std::vector<char> QuorumFanOut(const FanOutDrives& on, const RequestContext& ctx,
                               std::function<bool(size_t)> fn, size_t needed,
                               const std::vector<bool>* taking_part,
                               std::function<WorkerPool::Attempt(size_t)> attempt) {
  const std::vector<storage::StorageApi*>& drives = on.drives;
  const size_t n = drives.size();
  std::vector<char> skip(n, 0);
  size_t usable = 0;
  for (size_t d = 0; d < n; ++d) {
    skip[d] = on.stragglers->stuck(d);
    usable += drives[d] != nullptr && skip[d] == 0 && (taking_part == nullptr || (*taking_part)[d]);
  }
  if (usable < needed) skip.assign(n, 0);  // a stuck drive may still make the quorum
  WorkerPool::QuorumPolicy policy;
  policy.needed = needed;
  policy.stragglers = on.stragglers;
  // A healthy drive left behind costs a heal (a write) or a degraded read, and marks the drive
  // stuck until it answers; a hung one costs the grace once, then it is skipped.
  policy.grace_factor = 2.0;
  policy.min_grace = std::chrono::microseconds(5'000);
  policy.max_grace = std::chrono::microseconds(100'000);
  policy.deadline = ctx.deadline;  // drives that hang past it cost the quorum, not the wait
  policy.cancel = ctx.cancel;      // nor once the client has gone
  if (attempt) {
    policy.attempt = [&skip, &attempt](size_t d) {
      return skip[d] != 0 ? WorkerPool::Attempt::kFailed : attempt(d);
    };
  }
  std::vector<char> answered = on.pool.run_quorum(
      n, [skip, fn = std::move(fn)](size_t d) { return skip[d] == 0 && fn(d); }, policy);
  for (size_t d = 0; d < n; ++d) answered[d] = answered[d] != 0 && skip[d] == 0;
  return answered;
}

}  // namespace flashstor::object::internal
