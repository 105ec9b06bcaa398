#include "core/time_parse.hpp"

#include <charconv>
#include <string>

namespace ss {
namespace {

constexpr std::size_t kMinBareEpochDigits = 9;  // 100000000 = 1973-03-03T09:46:40Z
constexpr std::size_t kMaxEpochDigits = 18;     // stays inside int64

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

bool all_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!is_digit(c)) return false;
  return true;
}

// n digits at pos → out.
bool digits(std::string_view s, std::size_t pos, std::size_t n, int& out) {
  if (pos > s.size() || n > s.size() - pos || !all_digits(s.substr(pos, n))) return false;
  auto r = std::from_chars(s.data() + pos, s.data() + pos + n, out);
  return r.ec == std::errc();
}

bool leap_year(int y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int days_in_month(int y, int m) {
  static constexpr int kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && leap_year(y) ? 29 : kDays[m - 1];
}

// Days from 1970-01-01 to y-m-d (proleptic Gregorian).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned mp = m > 2 ? m - 3 : m + 9;  // March = 0
  const unsigned doy = (153 * mp + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

std::optional<std::int64_t> epoch(std::string_view s) {
  if (s.size() > kMaxEpochDigits) return std::nullopt;
  std::int64_t v = 0;
  auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (r.ec != std::errc() || r.ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

std::optional<std::int64_t> fail(std::string* why, std::string text) {
  if (why) *why = std::move(text);
  return std::nullopt;
}

}  // namespace

std::optional<std::int64_t> parse_time(std::string_view s, std::string* why) {
  if (why) why->clear();
  if (s.empty()) return std::nullopt;

  // Epoch seconds: "@digits", or a bare number long enough not to be a year
  // or an ISO basic date.
  if (s.front() == '@') {
    if (!all_digits(s.substr(1))) return std::nullopt;
    auto v = epoch(s.substr(1));
    return v ? v : fail(why, "epoch seconds out of range");
  }
  if (all_digits(s)) {
    if (s.size() < kMinBareEpochDigits)
      return fail(why,
                  "ambiguous (a year? a date?): write a date as YYYY-MM-DD, or epoch "
                  "seconds as @" +
                      std::string(s) + " (a bare number needs 9 or more digits)");
    auto v = epoch(s);
    return v ? v : fail(why, "epoch seconds out of range");
  }

  int y = 0, mo = 0, d = 0, h = 0, mi = 0, se = 0;
  if (s.size() < 10 || !digits(s, 0, 4, y) || s[4] != '-' || !digits(s, 5, 2, mo) || s[7] != '-' ||
      !digits(s, 8, 2, d))
    return std::nullopt;
  if (mo < 1 || mo > 12) return fail(why, "no month " + std::to_string(mo));
  if (d < 1 || d > days_in_month(y, mo))
    return fail(why, "no day " + std::to_string(d) + " in " + std::string(s.substr(0, 7)) + " (" +
                         std::to_string(days_in_month(y, mo)) + " days)");
  std::size_t pos = 10;
  if (pos < s.size() && (s[pos] == 'T' || s[pos] == ' ')) {
    if (!digits(s, pos + 1, 2, h) || pos + 3 >= s.size() || s[pos + 3] != ':' ||
        !digits(s, pos + 4, 2, mi))
      return std::nullopt;
    pos += 6;
    if (pos < s.size() && s[pos] == ':') {
      if (!digits(s, pos + 1, 2, se)) return std::nullopt;
      pos += 3;
    }
    if (h > 23) return fail(why, "hour " + std::to_string(h) + " (00-23)");
    if (mi > 59) return fail(why, "minute " + std::to_string(mi) + " (00-59)");
    if (se > 60) return fail(why, "second " + std::to_string(se) + " (00-60)");
  }
  std::int64_t offset = 0;
  if (pos < s.size()) {
    if (s[pos] == 'Z' && pos + 1 == s.size()) {
      pos += 1;
    } else if ((s[pos] == '+' || s[pos] == '-') && pos + 6 == s.size() && s[pos + 3] == ':') {
      int oh = 0, om = 0;
      if (!digits(s, pos + 1, 2, oh) || !digits(s, pos + 4, 2, om)) return std::nullopt;
      if (oh > 23 || om > 59)
        return fail(why,
                    "zone offset " + std::string(s.substr(pos)) + " (hours 00-23, minutes 00-59)");
      offset = (oh * 3600 + om * 60) * (s[pos] == '+' ? 1 : -1);
      pos = s.size();
    } else {
      return std::nullopt;
    }
  }
  if (pos != s.size()) return std::nullopt;
  return days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d)) * 86400 +
         h * 3600 + mi * 60 + se - offset;
}

}  // namespace ss
