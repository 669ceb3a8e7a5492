// ToUtc over <chrono>'s calendar types (sys_days, year_month_day, hh_mm_ss), and the ISO 8601
// forms every response, event and record writes.
#include "flashstor/common/utc_time.h"

#include <chrono>
#include <cstdio>

namespace flashstor {

UtcTime ToUtc(int64_t unix_seconds) {
  using namespace std::chrono;
  const sys_seconds t{seconds{unix_seconds}};
  const sys_days day = floor<days>(t);  // floor, not truncation: times before 1970
  const year_month_day ymd{day};
  const hh_mm_ss<seconds> hms{t - day};
  UtcTime out;
  out.year = static_cast<int>(ymd.year());
  out.month = static_cast<int>(static_cast<unsigned>(ymd.month()));
  out.day = static_cast<int>(static_cast<unsigned>(ymd.day()));
  out.hour = static_cast<int>(hms.hours().count());
  out.minute = static_cast<int>(hms.minutes().count());
  out.second = static_cast<int>(hms.seconds().count());
  out.weekday = static_cast<int>(weekday{day}.c_encoding());
  return out;
}

namespace {

// Appends "YYYY-MM-DDTHH:MM:SS" of u and then tail ("Z", ".mmmZ").
void AppendIso8601(std::string& out, const UtcTime& u, int ms) {
  char buf[48];
  const int n = ms < 0 ? std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02dZ", u.year,
                                       u.month, u.day, u.hour, u.minute, u.second)
                       : std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
                                       u.year, u.month, u.day, u.hour, u.minute, u.second, ms);
  if (n > 0) out.append(buf, static_cast<size_t>(n) < sizeof buf ? n : sizeof buf - 1);
}

}  // namespace

void AppendIso8601Ms(std::string& out, int64_t unix_ms) {
  int64_t secs = unix_ms / 1000;
  int64_t ms = unix_ms % 1000;
  if (ms < 0) {
    ms += 1000;
    --secs;
  }
  AppendIso8601(out, ToUtc(secs), static_cast<int>(ms));
}

std::string FormatIso8601Ms(int64_t unix_ms) {
  std::string out;
  AppendIso8601Ms(out, unix_ms);
  return out;
}

std::string FormatIso8601Seconds(int64_t unix_seconds) {
  std::string out;
  AppendIso8601(out, ToUtc(unix_seconds), -1);
  return out;
}

}  // namespace flashstor
