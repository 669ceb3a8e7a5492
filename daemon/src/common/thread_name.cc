// NameThisThread: the calling thread's name through pthread_setname_np (prctl PR_SET_NAME,
// which the seccomp allowlist admits).
#include "flashstor/common/thread_name.h"

#include <pthread.h>

#include <algorithm>
#include <array>

namespace flashstor {

void NameThisThread(std::string_view name) {
  std::array<char, 16> buf{};  // 15 bytes and the terminator: TASK_COMM_LEN
  const size_t n = std::min(name.size(), buf.size() - 1);
  name.copy(buf.data(), n);
  (void)pthread_setname_np(pthread_self(), buf.data());  // a name is a courtesy: never fatal
}

}  // namespace flashstor
