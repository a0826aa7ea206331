#pragma once
// Numeric options are declared with the interval their value must lie in, so that a value out of it
// (or nan, inf, a number too large for the option's type, text) is refused while the command line is
// parsed, before anything is read, with one line naming the option:
//   add_number_option(sub, "--warmup-ratio", o.warmup_ratio, "[0, 1]", "Warmup as a fraction of the total steps");
//   bertft --warmup-ratio nan  ->  bertft: error: --warmup-ratio must be a finite number in [0, 1], got nan
#include <charconv>
#include <cmath>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>

#include <CLI/CLI.hpp>

#include "common/error.h"

namespace bertft {

// A closed, open or half-open interval as mathematics writes it: "[0, 1]", "[0, 1)", "(0, inf)".
class Interval {
 public:
  explicit Interval(std::string text) : text_(std::move(text)) {
    const size_t comma = text_.find(',');
    if (text_.size() < 5 || comma == std::string::npos || (text_.front() != '[' && text_.front() != '(') ||
        (text_.back() != ']' && text_.back() != ')'))
      throw std::logic_error("malformed interval '" + text_ + "'");
    lo_open_ = text_.front() == '(';
    hi_open_ = text_.back() == ')';
    lo_ = bound(text_.substr(1, comma - 1));
    hi_ = bound(text_.substr(comma + 1, text_.size() - comma - 2));
  }

  bool contains(long double v) const {
    return (lo_open_ ? v > lo_ : v >= lo_) && (hi_open_ ? v < hi_ : v <= hi_);
  }
  const std::string& text() const { return text_; }

 private:
  long double bound(std::string s) const {
    s.erase(0, s.find_first_not_of(' '));
    if (s == "inf") return HUGE_VALL;
    if (s == "-inf") return -HUGE_VALL;
    size_t used = 0;
    const long double v = std::stold(s, &used);
    if (used != s.size()) throw std::logic_error("malformed interval '" + text_ + "'");
    return v;
  }

  std::string text_;
  long double lo_, hi_;
  bool lo_open_, hi_open_;
};

// `value` parsed from `text` as a plain decimal (integers) or a finite number (floating point): stricter
// than CLI11's own conversion, which takes "-1" for an unsigned option as its largest value and clamps
// integers that overflow. The whole text must be the number.
template <typename T>
bool parse_number(std::string_view text, T& value) {
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || ptr != end) return false;
  if constexpr (std::is_floating_point_v<T>) return std::isfinite(value);
  return true;
}

// app->add_option(name, value, help), refusing any value outside `range` (an Interval's text) with
// Error("NAME must be an integer|a finite number in RANGE, got TEXT"). The range shows in --help.
template <typename T>
CLI::Option* add_number_option(CLI::App* app, const std::string& name, T& value, const std::string& range,
                               const std::string& help) {
  static_assert(std::is_arithmetic_v<T> && !std::is_same_v<T, bool>);
  const Interval interval(range);
  CLI::Option* option = app->add_option(name, value, help);
  option->check(CLI::Validator(
      [name = option->get_name(), interval](const std::string& text) -> std::string {
        T parsed{};
        if (parse_number(text, parsed) && interval.contains(static_cast<long double>(parsed))) return "";
        throw Error(name + " must be " + (std::is_integral_v<T> ? "an integer" : "a finite number") + " in " +
                    interval.text() + ", got " + text);
      },
      interval.text()));
  return option;
}

// Ranges several commands share. More than a thousand threads is a typing slip, not a machine; a batch
// beyond 65536 sequences would not fit in memory; a million epochs overflow no step count.
inline const std::string kThreadsRange = "[1, 1024]";
inline const std::string kBatchSizeRange = "[1, 65536]";
inline const std::string kEpochsRange = "[0, 1e6]";

}  // namespace bertft
