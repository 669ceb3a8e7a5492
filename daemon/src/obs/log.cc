// Log sink selection: journald native fields under systemd, stderr lines otherwise. The
// formatting (obs/log_format.h) uses stack buffers, so a log call does not allocate.
#include "flashstor/obs/log.h"

#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <span>

#define SD_JOURNAL_SUPPRESS_LOCATION
#include <systemd/sd-journal.h>

#include "flashstor/obs/log_format.h"

namespace flashstor::obs {
namespace {

std::atomic<int> g_min_level{static_cast<int>(Level::kInfo)};
std::atomic<bool> g_journal{false};

// JOURNAL_STREAM is "dev:inode" of the stream journald gave us; only trust it when it is
// still our stderr (a child may inherit the variable with another stderr).
bool StderrIsJournal() {
  const char* js = std::getenv("JOURNAL_STREAM");
  if (js == nullptr) return false;
  unsigned long long dev = 0, ino = 0;
  if (std::sscanf(js, "%llu:%llu", &dev, &ino) != 2) return false;
  struct stat st {};
  if (fstat(STDERR_FILENO, &st) != 0) return false;
  return st.st_dev == dev && st.st_ino == ino;
}

void LogJournal(Level level, std::string_view message, std::span<const Field> fields) {
  JournalEntry entry(level, message, fields);
  const std::span<const iovec> iov = entry.iov();
  if (sd_journal_sendv(iov.data(), static_cast<int>(iov.size())) < 0) {
    // journald went away (restart, shutdown): fall back to stderr for this line.
    char line[4096];
    const size_t n = FormatStderrLine(level, message, fields, line);
    (void)!write(STDERR_FILENO, line, n);
  }
}

void LogStderr(Level level, std::string_view message, std::span<const Field> fields) {
  // One write() per line: POSIX keeps writes to the same pipe/file from interleaving up to
  // PIPE_BUF, and O_APPEND files keep whole writes together, so no mutex is needed.
  char line[4096];
  const size_t n = FormatStderrLine(level, message, fields, line);
  size_t off = 0;
  while (off < n) {
    const ssize_t w = write(STDERR_FILENO, line + off, n - off);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return;
    off += static_cast<size_t>(w);
  }
}

}  // namespace

void LogInit(Level min_level, bool force_journal) {
  g_min_level.store(static_cast<int>(min_level));
  g_journal.store(force_journal || StderrIsJournal());
}

bool LogEnabled(Level level) {
  return static_cast<int>(level) <= g_min_level.load(std::memory_order_relaxed);
}

void Log(Level level, std::string_view message, std::initializer_list<Field> fields) {
  Log(level, message, std::span<const Field>(fields.begin(), fields.size()));
}

void Log(Level level, std::string_view message, std::span<const Field> span) {
  if (!LogEnabled(level)) return;
  if (g_journal.load(std::memory_order_relaxed)) {
    LogJournal(level, message, span);
  } else {
    LogStderr(level, message, span);
  }
}

}  // namespace flashstor::obs
