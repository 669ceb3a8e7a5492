// Context switches: Boost.Context's jump_fcontext (callee-saved registers and the FPU control
// words, nothing else), or glibc's swapcontext where the x86 shadow stack is enabled.
#include "flashstor/task/context.h"

#include <boost/context/detail/fcontext.hpp>

#include <cstdint>
#include <cstdlib>

namespace flashstor::task {
namespace {

namespace bctx = boost::context::detail;

// The x86 shadow stack (CET SHSTK) is on when rdsspq reads a non-zero pointer: on a CPU or
// process without it the instruction is a no-op and the register keeps its 0. jump_fcontext
// moves between stacks without telling the shadow stack, so the first return there would
// fault; glibc's swapcontext switches the shadow stack with the stack.
bool ShadowStackActive() {
#if defined(__x86_64__)
  uint64_t ssp = 0;
  asm volatile("rdsspq %0" : "+r"(ssp));
  return ssp != 0;
#else
  return false;
#endif
}

const bool kUseUcontext = ShadowStackActive();

// The entry of the fresh context being switched to, for its trampoline.
thread_local void (*tl_entry)() = nullptr;

}  // namespace

struct ContextAccess {
  // Where a jump_fcontext lands: t.data is the Context the switcher saves into, t.fctx its
  // registers (the switcher's stack pointer).
  static void SaveSwitcher(bctx::transfer_t t) { static_cast<Context*>(t.data)->fctx_ = t.fctx; }

  // A fresh context's first instructions.
  [[noreturn]] static void Trampoline(bctx::transfer_t t) {
    SaveSwitcher(t);
    void (*entry)() = tl_entry;
    tl_entry = nullptr;
    entry();
    std::abort();
  }
};

bool Context::UsesUcontext() {
  return kUseUcontext;
}

void Context::make(void* bottom, size_t size, void (*entry)()) {
  if (kUseUcontext) {
    getcontext(&uctx_);
    uctx_.uc_stack.ss_sp = bottom;
    uctx_.uc_stack.ss_size = size;
    uctx_.uc_link = nullptr;
    makecontext(&uctx_, entry, 0);
    return;
  }
  entry_ = entry;
  fctx_ = bctx::make_fcontext(static_cast<char*>(bottom) + size, size, &ContextAccess::Trampoline);
}

void Context::Switch(Context& from, Context& to) {
  if (kUseUcontext) {
    swapcontext(&from.uctx_, &to.uctx_);
    return;
  }
  if (to.entry_ != nullptr) {
    tl_entry = to.entry_;
    to.entry_ = nullptr;
  }
  void* target = to.fctx_;
  to.fctx_ = nullptr;
  ContextAccess::SaveSwitcher(bctx::jump_fcontext(target, &from));
}

}  // namespace flashstor::task
