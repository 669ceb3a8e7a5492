// /proc readers behind the process_* gauges.
#include "flashstor/obs/process_metrics.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

namespace flashstor::obs {

Result<uint64_t> ReadResidentBytes() {
  const int fd = ::open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::unexpected(StatusFromErrno(errno, "open /proc/self/statm"));
  char buf[128];
  const ssize_t n = ::read(fd, buf, sizeof(buf) - 1);
  ::close(fd);
  if (n <= 0) return Err(Code::kIoError, "read /proc/self/statm");
  buf[n] = '\0';
  unsigned long long size = 0, resident = 0;
  if (std::sscanf(buf, "%llu %llu", &size, &resident) != 2) {
    return Err(Code::kCorrupt, "parse /proc/self/statm");
  }
  const long page = sysconf(_SC_PAGESIZE);
  return static_cast<uint64_t>(resident) * static_cast<uint64_t>(page > 0 ? page : 4096);
}

Result<uint64_t> CountOpenFds() {
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) return std::unexpected(StatusFromErrno(errno, "opendir /proc/self/fd"));
  uint64_t count = 0;
  while (const dirent* e = readdir(dir)) {
    if (e->d_name[0] != '.') ++count;
  }
  closedir(dir);
  return count > 0 ? count - 1 : 0;  // the directory stream's own fd
}

void RegisterProcessMetrics(MetricsRegistry& registry) {
  registry.gauge_fn("process_resident_memory_bytes", "Resident memory size in bytes.", {}, [] {
    auto v = ReadResidentBytes();
    return v ? static_cast<double>(*v) : -1.0;
  });
  registry.gauge_fn("process_open_fds", "Number of open file descriptors.", {}, [] {
    auto v = CountOpenFds();
    return v ? static_cast<double>(*v) : -1.0;
  });
}

}  // namespace flashstor::obs
