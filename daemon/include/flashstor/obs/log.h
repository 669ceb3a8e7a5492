// Structured logging: journald native fields when running under journald, plain
// "level message key=value" lines on stderr otherwise. Thread-safe. Never pass secrets.
#pragma once

#include <initializer_list>
#include <span>
#include <string_view>

namespace flashstor::obs {

// syslog priorities, as journald's PRIORITY= field expects.
enum class Level : int {
  kCritical = 2,
  kError = 3,
  kWarning = 4,
  kNotice = 5,
  kInfo = 6,
  kDebug = 7
};

struct Field {
  std::string_view key;  // journald field name: uppercase, e.g. "S3_OPERATION"
  std::string_view value;
};

// Decides the sink once at start-up: journald if JOURNAL_STREAM matches stderr or
// force_journal, else stderr. min_level filters.
void LogInit(Level min_level, bool force_journal = false);
void Log(Level level, std::string_view message, std::initializer_list<Field> fields = {});
void Log(Level level, std::string_view message, std::span<const Field> fields);
bool LogEnabled(Level level);

}  // namespace flashstor::obs
