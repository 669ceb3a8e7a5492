// Pure, allocation-free formatting behind obs/log.h: journald native entries (KEY=value iovecs
// in a stack buffer) and stderr lines. Separate from the sinks so it can be unit tested.
#pragma once

#include <sys/uio.h>

#include <cstddef>
#include <span>
#include <string_view>

#include "flashstor/obs/log.h"

namespace flashstor::obs {

// journald field names: 1..64 chars of A-Z 0-9 _, not starting with '_' (trusted fields) or
// a digit.
bool IsValidJournalFieldName(std::string_view name);

// Writes a valid journald field name derived from name into out (lowercase -> uppercase, any
// other invalid char -> '_', a leading '_' or digit gets an "F" prefix, at most 64 chars; an
// empty name becomes "FIELD"). Returns the length written. out must hold 64 bytes.
size_t SanitizeJournalFieldName(std::string_view name, std::span<char, 64> out);

// One journald entry: MESSAGE=, PRIORITY=, SYSLOG_IDENTIFIER=flashstor, then at most
// kMaxFields caller fields, each one "KEY=value" iovec. A value keeps its newlines and binary
// bytes: sd_journal_sendv() serialises such a value with the length-prefixed form, so it stays
// one field. Everything lives in the object (put it on the stack); bytes past kBufferBytes
// are cut (the entry is marked with FLASHSTOR_TRUNCATED=1).
class JournalEntry {
 public:
  static constexpr size_t kMaxFields = 16;
  static constexpr size_t kBufferBytes = 16 * 1024;

  JournalEntry(Level level, std::string_view message, std::span<const Field> fields);
  JournalEntry(const JournalEntry&) = delete;
  JournalEntry& operator=(const JournalEntry&) = delete;

  std::span<const iovec> iov() const { return {iov_, count_}; }
  bool truncated() const { return truncated_; }
  // Fields dropped because more than kMaxFields were given.
  size_t dropped_fields() const { return dropped_fields_; }

 private:
  // Adds "name=value" (name already valid). Cuts value to fit the buffer.
  void add(std::string_view name, std::string_view value);

  char buf_[kBufferBytes];
  iovec iov_[kMaxFields + 4];
  size_t count_ = 0;
  size_t used_ = 0;
  size_t dropped_fields_ = 0;
  bool truncated_ = false;
};

// Formats "LEVEL message KEY=value KEY=\"v a l\"\n" into out (a stack buffer). Control
// characters in message and values are escaped (\n, \t, \xNN) so one call is one line; values
// with spaces, quotes or '=' are quoted. Truncates to out.size() but always ends with '\n'.
// Returns the length written (0 only when out is empty).
size_t FormatStderrLine(Level level, std::string_view message, std::span<const Field> fields,
                        std::span<char> out);

std::string_view LevelName(Level level);

}  // namespace flashstor::obs
