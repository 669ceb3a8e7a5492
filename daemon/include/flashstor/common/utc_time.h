// UtcTime: a Unix time broken into its UTC calendar fields with <chrono>'s calendar
// arithmetic. glibc's gmtime_r takes the process-wide time-zone lock (__tz_convert) at every
// call, even for UTC, and every event loop formats dates (Last-Modified, listings, x-amz-date,
// audit records, policy conditions): this takes no lock.
#pragma once

#include <cstdint>
#include <string>

namespace flashstor {

struct UtcTime {
  int year = 1970;
  int month = 1;    // 1-12
  int day = 1;      // 1-31
  int hour = 0;     // 0-23
  int minute = 0;   // 0-59
  int second = 0;   // 0-59
  int weekday = 4;  // 0 = Sunday (1 Jan 1970 was a Thursday)
};

// Seconds since 1970-01-01T00:00:00Z, negative before it, to the calendar (proleptic Gregorian,
// as gmtime_r).
UtcTime ToUtc(int64_t unix_seconds);

// ISO 8601 in UTC with milliseconds, "2026-01-02T03:04:05.678Z": S3's LastModified, AWS's
// eventTime, audit records. Appended to out; times before 1970 round down, as the calendar does.
void AppendIso8601Ms(std::string& out, int64_t unix_ms);
std::string FormatIso8601Ms(int64_t unix_ms);
// The same in whole seconds, "2026-01-02T03:04:05Z" (IAM's and STS's dates).
std::string FormatIso8601Seconds(int64_t unix_seconds);

}  // namespace flashstor
