// ToUtc over <chrono>'s calendar types (sys_days, year_month_day, hh_mm_ss).
#include "flashstor/common/utc_time.h"

#include <chrono>

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

}  // namespace flashstor
