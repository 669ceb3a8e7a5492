// journald entry building and stderr line formatting without heap allocation.
#include "flashstor/obs/log_format.h"

#include <cstring>

namespace flashstor::obs {
namespace {

constexpr size_t kMaxFieldName = 64;

bool IsNameChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

// Appends to a fixed span, tracking truncation.
class SpanWriter {
 public:
  explicit SpanWriter(std::span<char> out) : out_(out) {}
  void put(char c) {
    if (len_ < out_.size()) {
      out_[len_++] = c;
    } else {
      full_ = true;
    }
  }
  void put(std::string_view s) {
    for (char c : s) put(c);
  }
  size_t len() const { return len_; }
  bool full() const { return full_; }

 private:
  std::span<char> out_;
  size_t len_ = 0;
  bool full_ = false;
};

void PutEscaped(SpanWriter& w, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '\n') {
      w.put("\\n");
    } else if (c == '\t') {
      w.put("\\t");
    } else if (c == '"' || c == '\\') {
      w.put('\\');
      w.put(ch);
    } else if (c < 0x20 || c == 0x7F) {
      w.put("\\x");
      w.put(kHex[c >> 4]);
      w.put(kHex[c & 0xF]);
    } else {
      w.put(ch);
    }
  }
}

}  // namespace

bool IsValidJournalFieldName(std::string_view name) {
  if (name.empty() || name.size() > kMaxFieldName) return false;
  if (name[0] == '_' || (name[0] >= '0' && name[0] <= '9')) return false;
  for (char c : name) {
    if (!IsNameChar(c)) return false;
  }
  return true;
}

size_t SanitizeJournalFieldName(std::string_view name, std::span<char, 64> out) {
  if (name.empty()) name = "FIELD";
  size_t n = 0;
  if (name[0] == '_' || (name[0] >= '0' && name[0] <= '9')) out[n++] = 'F';
  for (char c : name) {
    if (n == out.size()) break;
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    out[n++] = IsNameChar(c) ? c : '_';
  }
  return n;
}

JournalEntry::JournalEntry(Level level, std::string_view message, std::span<const Field> fields) {
  add("MESSAGE", message);
  const char prio[2] = {static_cast<char>('0' + static_cast<int>(level) % 10), 0};
  add("PRIORITY", std::string_view(prio, 1));
  add("SYSLOG_IDENTIFIER", "flashstor");
  for (const Field& f : fields) {
    if (count_ == kMaxFields + 3) {
      ++dropped_fields_;
      continue;
    }
    if (IsValidJournalFieldName(f.key)) {
      add(f.key, f.value);
    } else {
      char name[kMaxFieldName];
      const size_t n = SanitizeJournalFieldName(f.key, std::span<char, 64>(name, 64));
      add(std::string_view(name, n), f.value);
    }
  }
  if (truncated_ || dropped_fields_ > 0) {
    // Reserved room: kBufferBytes is never filled past kBufferBytes - 32 by add().
    truncated_ = true;
    constexpr std::string_view kMark = "FLASHSTOR_TRUNCATED=1";
    std::memcpy(buf_ + used_, kMark.data(), kMark.size());
    iov_[count_++] = {buf_ + used_, kMark.size()};
    used_ += kMark.size();
  }
}

void JournalEntry::add(std::string_view name, std::string_view value) {
  constexpr size_t kReserve = 32;  // for the FLASHSTOR_TRUNCATED marker
  const size_t room = kBufferBytes - kReserve - used_;
  if (name.size() + 1 > room) {
    truncated_ = true;
    return;
  }
  size_t vlen = value.size();
  if (name.size() + 1 + vlen > room) {
    vlen = room - name.size() - 1;
    truncated_ = true;
  }
  char* start = buf_ + used_;
  std::memcpy(start, name.data(), name.size());
  start[name.size()] = '=';
  if (vlen > 0) std::memcpy(start + name.size() + 1, value.data(), vlen);
  const size_t len = name.size() + 1 + vlen;
  iov_[count_++] = {start, len};
  used_ += len;
}

std::string_view LevelName(Level level) {
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

size_t FormatStderrLine(Level level, std::string_view message, std::span<const Field> fields,
                        std::span<char> out) {
  if (out.empty()) return 0;
  SpanWriter w(out.first(out.size() - 1));  // keep one byte for the newline
  w.put(LevelName(level));
  w.put(' ');
  PutEscaped(w, message);
  for (const Field& f : fields) {
    w.put(' ');
    PutEscaped(w, f.key);
    w.put('=');
    const bool quote =
        f.value.empty() || f.value.find_first_of(" \t\n\"=") != std::string_view::npos;
    if (quote) w.put('"');
    PutEscaped(w, f.value);
    if (quote) w.put('"');
  }
  const size_t len = w.len();
  out[len] = '\n';
  return len + 1;
}

}  // namespace flashstor::obs
