// MemoryWaitHook: tells the owner of a fiber (request admission, net/request_tasks.h) that the
// fiber is about to park for the request memory budget and when it got its grant, so a request
// that holds no large buffer yet does not count as in flight while it waits: with a budget
// small enough to bound RSS, requests queued for memory behind slow clients would otherwise
// hold every task slot, and small requests that need no memory would wait for admission
// (docs/execution-model.md, "What bounds the work in flight").
#pragma once

namespace flashstor::task {

class MemoryWaitHook {
 public:
  virtual ~MemoryWaitHook() = default;
  // Before the fiber parks in MemoryBudget::acquire; true when done_waiting() must follow
  // that wait (granted or timed out).
  virtual bool waiting_for_memory() = 0;
  virtual void done_waiting() = 0;
};

// The running fiber's hook; no-ops outside a fiber (a thread has none). A fiber's hook is
// cleared when it finishes.
void SetMemoryWaitHook(MemoryWaitHook* hook);
MemoryWaitHook* CurrentMemoryWaitHook();

}  // namespace flashstor::task
