// Names the calling thread (what `top -H`, `ps -L`, perf and /proc/PID/task/TID/comm show),
// so a daemon's threads tell their jobs apart: "fs-loop-0", "fs-io", "fs-journal"...
#pragma once

#include <string_view>

namespace flashstor {

// At most 15 bytes are kept (the kernel's limit); the rest is cut.
void NameThisThread(std::string_view name);

}  // namespace flashstor
