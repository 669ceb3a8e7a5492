// Log sink selection and formatting: journald native fields or stderr lines.
#include "flashstor/obs/log.h"

#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>

#define SD_JOURNAL_SUPPRESS_LOCATION
#include <systemd/sd-journal.h>

namespace flashstor::obs {
namespace {

std::atomic<int> g_min_level{static_cast<int>(Level::kInfo)};
std::atomic<bool> g_journal{false};
std::mutex g_stderr_mu;

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

const char* LevelName(Level level) {
  switch (level) {
    case Level::kCritical:
      return "CRIT";
    case Level::kError:
      return "ERROR";
    case Level::kWarning:
      return "WARN";
    case Level::kNotice:
      return "NOTICE";
    case Level::kInfo:
      return "INFO";
    case Level::kDebug:
      return "DEBUG";
  }
  return "INFO";
}

void LogJournal(Level level, std::string_view message, std::initializer_list<Field> fields) {
  // MESSAGE, PRIORITY, SYSLOG_IDENTIFIER plus at most 16 caller fields.
  constexpr size_t kMaxFields = 16;
  std::string lines[kMaxFields + 3];
  iovec iov[kMaxFields + 3];
  size_t n = 0;
  lines[n++] = "MESSAGE=" + std::string(message);
  lines[n++] = "PRIORITY=" + std::to_string(static_cast<int>(level));
  lines[n++] = "SYSLOG_IDENTIFIER=flashstor";
  for (const Field& f : fields) {
    if (n == kMaxFields + 3) break;
    lines[n].reserve(f.key.size() + 1 + f.value.size());
    lines[n].append(f.key).append("=").append(f.value);
    ++n;
  }
  for (size_t i = 0; i < n; ++i) iov[i] = {lines[i].data(), lines[i].size()};
  sd_journal_sendv(iov, static_cast<int>(n));
}

void LogStderr(Level level, std::string_view message, std::initializer_list<Field> fields) {
  std::string line;
  line.reserve(128);
  line.append(LevelName(level)).append(" ").append(message);
  for (const Field& f : fields) {
    line.append(" ").append(f.key).append("=");
    bool quote = f.value.find_first_of(" \t\"") != std::string_view::npos || f.value.empty();
    if (quote) line.push_back('"');
    for (char c : f.value) {
      if (c == '"' || c == '\\') line.push_back('\\');
      line.push_back(c == '\n' ? ' ' : c);
    }
    if (quote) line.push_back('"');
  }
  line.push_back('\n');
  std::lock_guard<std::mutex> lock(g_stderr_mu);
  (void)!write(STDERR_FILENO, line.data(), line.size());
}

}  // namespace

void LogInit(Level min_level, bool force_journal) {
  g_min_level.store(static_cast<int>(min_level));
  g_journal.store(force_journal || StderrIsJournal());
}

bool LogEnabled(Level level) { return static_cast<int>(level) <= g_min_level.load(); }

void Log(Level level, std::string_view message, std::initializer_list<Field> fields) {
  if (!LogEnabled(level)) return;
  if (g_journal.load(std::memory_order_relaxed)) {
    LogJournal(level, message, fields);
  } else {
    LogStderr(level, message, fields);
  }
}

}  // namespace flashstor::obs
