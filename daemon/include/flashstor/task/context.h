// Context: the saved registers of a fiber or of its loop, and the switch between them. A
// switch saves and restores registers only (Boost.Context's fcontext, no system call), except
// where the CPU's shadow stack is on: there glibc's ucontext switches, which keeps the shadow
// stack in step (and costs a sigprocmask system call each way). See docs/execution-model.md.
#pragma once

#include <ucontext.h>

#include <cstddef>

namespace flashstor::task {

class Context {
 public:
  // Makes this context start entry() on the stack [bottom, bottom + size) at its first
  // switch_to. entry must never return.
  void make(void* bottom, size_t size, void (*entry)());
  // Saves the running context in `from` and continues `to`; returns when something switches
  // back to `from`.
  static void Switch(Context& from, Context& to);
  // True when switches go through ucontext (the shadow stack is on): tests ask this.
  static bool UsesUcontext();

 private:
  friend struct ContextAccess;
  void* fctx_ = nullptr;       // fcontext: the saved stack pointer
  void (*entry_)() = nullptr;  // set by make() until the first switch to it
  ucontext_t uctx_{};          // only when UsesUcontext()
};

}  // namespace flashstor::task
