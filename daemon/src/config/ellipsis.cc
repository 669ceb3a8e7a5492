// ExpandEllipsis: parses a pattern into literal text and numeric ranges, then walks the
// ranges like an odometer (rightmost fastest) to produce the cartesian product.
#include "flashstor/config/ellipsis.h"

#include <charconv>
#include <cstdint>

namespace flashstor::config {
namespace {

constexpr size_t kMaxDigits = 9;                // keeps every bound and count inside uint64_t math
constexpr size_t kHardLimit = size_t{1} << 20;  // caps any caller's max_results

struct Range {
  uint64_t first = 0;
  uint64_t last = 0;
  size_t width = 0;  // zero-pad width; 0 = no padding
};

// A pattern is literal[0] range[0] literal[1] range[1] ... literal[n].
struct Parsed {
  std::vector<std::string> literals;
  std::vector<Range> ranges;
};

std::expected<uint64_t, std::string> ParseBound(std::string_view digits) {
  if (digits.empty()) return std::unexpected<std::string>("ellipsis bound is empty");
  if (digits.size() > kMaxDigits) return std::unexpected<std::string>("ellipsis bound too long");
  uint64_t value = 0;
  const auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (ec != std::errc() || ptr != digits.data() + digits.size()) {
    return std::unexpected<std::string>("ellipsis bound \"" + std::string(digits) +
                                        "\" is not a decimal number");
  }
  return value;
}

// inner is the text between '{' and '}', e.g. "01...16".
std::expected<Range, std::string> ParseRange(std::string_view inner) {
  const size_t dots = inner.find("...");
  if (dots == std::string_view::npos) {
    return std::unexpected<std::string>("\"{" + std::string(inner) +
                                        "}\" is not an ellipsis range {A...B}");
  }
  const std::string_view a = inner.substr(0, dots);
  const std::string_view b = inner.substr(dots + 3);
  auto first = ParseBound(a);
  if (!first) return std::unexpected(first.error());
  auto last = ParseBound(b);
  if (!last) return std::unexpected(last.error());
  if (*first > *last) {
    return std::unexpected<std::string>("ellipsis range {" + std::string(inner) +
                                        "} is descending");
  }
  Range r{*first, *last, 0};
  const bool padded = (a.size() > 1 && a[0] == '0') || (b.size() > 1 && b[0] == '0');
  if (padded) r.width = a.size() > b.size() ? a.size() : b.size();
  return r;
}

std::expected<Parsed, std::string> Parse(std::string_view pattern) {
  Parsed out;
  out.literals.emplace_back();
  for (size_t i = 0; i < pattern.size(); ++i) {
    const char c = pattern[i];
    if (c == '}') return std::unexpected<std::string>("unbalanced '}'");
    if (c != '{') {
      out.literals.back().push_back(c);
      continue;
    }
    const size_t close = pattern.find('}', i + 1);
    if (close == std::string_view::npos) return std::unexpected<std::string>("unbalanced '{'");
    const std::string_view inner = pattern.substr(i + 1, close - i - 1);
    if (inner.find('{') != std::string_view::npos) {
      return std::unexpected<std::string>("nested '{' in ellipsis");
    }
    auto range = ParseRange(inner);
    if (!range) return std::unexpected(range.error());
    out.ranges.push_back(*range);
    out.literals.emplace_back();
    i = close;
  }
  return out;
}

void AppendNumber(std::string& s, uint64_t v, size_t width) {
  char buf[24];
  const auto [ptr, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  const size_t len = static_cast<size_t>(ptr - buf);
  if (ec == std::errc() && len < width) s.append(width - len, '0');
  s.append(buf, len);
}

}  // namespace

bool HasEllipsis(std::string_view pattern) {
  return pattern.find_first_of("{}") != std::string_view::npos;
}

std::expected<std::vector<std::string>, std::string> ExpandEllipsis(std::string_view pattern,
                                                                    size_t max_results) {
  auto parsed = Parse(pattern);
  if (!parsed) return std::unexpected(parsed.error());
  if (max_results > kHardLimit) max_results = kHardLimit;
  uint64_t total = 1;
  for (const Range& r : parsed->ranges) {
    const uint64_t count = r.last - r.first + 1;
    if (count > max_results / total) {  // division keeps the product from overflowing
      return std::unexpected<std::string>("ellipsis expands to more than " +
                                          std::to_string(max_results) + " items");
    }
    total *= count;
  }
  std::vector<std::string> result;
  result.reserve(static_cast<size_t>(total));
  std::vector<uint64_t> current;
  for (const Range& r : parsed->ranges) current.push_back(r.first);
  for (uint64_t n = 0; n < total; ++n) {
    std::string s = parsed->literals[0];
    for (size_t k = 0; k < current.size(); ++k) {
      AppendNumber(s, current[k], parsed->ranges[k].width);
      s += parsed->literals[k + 1];
    }
    result.push_back(std::move(s));
    // Advance the odometer: rightmost range fastest.
    for (size_t k = current.size(); k-- > 0;) {
      if (current[k] < parsed->ranges[k].last) {
        ++current[k];
        break;
      }
      current[k] = parsed->ranges[k].first;
    }
  }
  return result;
}

}  // namespace flashstor::config
