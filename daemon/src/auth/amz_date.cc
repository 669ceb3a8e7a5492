// Strict parsers for the two timestamp forms SigV4 accepts, and the ISO 8601 basic formatter.
#include "amz_date.h"

#include "flashstor/common/utc_time.h"

namespace flashstor::auth {
namespace {

// Parses exactly n decimal digits.
bool Digits(std::string_view s, size_t pos, size_t n, int& out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  out = v;
  return true;
}

bool IsLeap(int y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

// Validates the calendar fields and converts them to UTC seconds (timegm semantics).
std::optional<std::time_t> ToTime(int year, int month, int day, int hour, int min, int sec) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (year < 1970 || year > 9999 || month < 1 || month > 12 || day < 1) return std::nullopt;
  int dim = kDays[month - 1] + (month == 2 && IsLeap(year) ? 1 : 0);
  if (day > dim || hour > 23 || min > 59 || sec > 60) return std::nullopt;
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = min;
  tm.tm_sec = sec;
  return timegm(&tm);
}

}  // namespace

std::optional<std::time_t> ParseAmzDate(std::string_view s) {
  if (s.size() != 16 || s[8] != 'T' || s[15] != 'Z') return std::nullopt;
  int y, mo, d, h, mi, se;
  if (!Digits(s, 0, 4, y) || !Digits(s, 4, 2, mo) || !Digits(s, 6, 2, d) || !Digits(s, 9, 2, h) ||
      !Digits(s, 11, 2, mi) || !Digits(s, 13, 2, se)) {
    return std::nullopt;
  }
  return ToTime(y, mo, d, h, mi, se);
}

std::optional<std::time_t> ParseHttpDate(std::string_view s) {
  // "Www, DD Mmm YYYY HH:MM:SS GMT"
  static constexpr std::string_view kMonths = "JanFebMarAprMayJunJulAugSepOctNovDec";
  if (s.size() != 29 || s[3] != ',' || s[4] != ' ' || s[7] != ' ' || s[11] != ' ' || s[16] != ' ' ||
      s[19] != ':' || s[22] != ':' || s.substr(25) != " GMT") {
    return std::nullopt;
  }
  size_t m = kMonths.find(s.substr(8, 3));
  if (m == std::string_view::npos || m % 3 != 0) return std::nullopt;
  int y, d, h, mi, se;
  if (!Digits(s, 5, 2, d) || !Digits(s, 12, 4, y) || !Digits(s, 17, 2, h) ||
      !Digits(s, 20, 2, mi) || !Digits(s, 23, 2, se)) {
    return std::nullopt;
  }
  return ToTime(y, static_cast<int>(m / 3) + 1, d, h, mi, se);
}

std::array<char, 16> FormatAmzDate(std::time_t t) {
  const UtcTime u = ToUtc(t);  // no time-zone lock (common/utc_time.h)
  std::array<char, 16> out{};
  auto put = [&out](size_t pos, size_t width, int v) {
    for (size_t i = 0; i < width; ++i) {
      out[pos + width - 1 - i] = static_cast<char>('0' + v % 10);
      v /= 10;
    }
  };
  // Every field is non-negative from year 0 on; years beyond 9999 are not representable here.
  put(0, 4, u.year);
  put(4, 2, u.month);
  put(6, 2, u.day);
  out[8] = 'T';
  put(9, 2, u.hour);
  put(11, 2, u.minute);
  put(13, 2, u.second);
  out[15] = 'Z';
  return out;
}

}  // namespace flashstor::auth
