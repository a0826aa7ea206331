#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "cli/number_option.h"
#include "common/error.h"

namespace bertft {
namespace {

// Parses `value` for an option declared with add_number_option(range); "" when it is taken, else the
// Error's message.
template <typename T>
std::string refusal(const std::string& range, const std::string& value, T* parsed = nullptr) {
  CLI::App app;
  T bound{};
  add_number_option(&app, "--opt", bound, range, "an option");
  try {
    app.parse(std::vector<std::string>{value, "--opt"});  // CLI11 takes the arguments last first
  } catch (const Error& e) {
    return e.what();
  }
  if (parsed) *parsed = bound;
  return "";
}

TEST(NumberOption, RefusesNonFiniteAndOutOfRangeNumbersNamingTheOption) {
  EXPECT_EQ(refusal<double>("[0, 1]", "nan"), "--opt must be a finite number in [0, 1], got nan");
  EXPECT_EQ(refusal<double>("[0, 1e6]", "inf"), "--opt must be a finite number in [0, 1e6], got inf");
  EXPECT_EQ(refusal<double>("[0, 1e6]", "1e30"), "--opt must be a finite number in [0, 1e6], got 1e30");
  EXPECT_EQ(refusal<double>("[0, 1]", "-0.1"), "--opt must be a finite number in [0, 1], got -0.1");
  EXPECT_EQ(refusal<double>("[0, inf)", "1e400"), "--opt must be a finite number in [0, inf), got 1e400");
  EXPECT_EQ(refusal<float>("[0, 1)", "1e39"), "--opt must be a finite number in [0, 1), got 1e39");
  EXPECT_EQ(refusal<double>("[0, 1]", "half"), "--opt must be a finite number in [0, 1], got half");
  EXPECT_EQ(refusal<double>("[0, 1]", "0.5x"), "--opt must be a finite number in [0, 1], got 0.5x");
}

TEST(NumberOption, OpenBoundsExcludeTheirEnds) {
  EXPECT_NE(refusal<double>("(0, 1)", "0"), "");
  EXPECT_NE(refusal<double>("(0, 1)", "1"), "");
  EXPECT_NE(refusal<double>("[0, 1)", "1"), "");
  double parsed = -1;
  EXPECT_EQ(refusal<double>("[0, 1)", "0", &parsed), "");
  EXPECT_EQ(parsed, 0.0);
  EXPECT_EQ(refusal<double>("(0, inf)", "2.5e-5", &parsed), "");
  EXPECT_EQ(parsed, 2.5e-5);
}

TEST(NumberOption, IntegersMustBeWholeAndFitTheirType) {
  EXPECT_EQ(refusal<int>("[1, 65536]", "0"), "--opt must be an integer in [1, 65536], got 0");
  EXPECT_EQ(refusal<int>("[1, 65536]", "1e30"), "--opt must be an integer in [1, 65536], got 1e30");
  EXPECT_EQ(refusal<int>("[1, 65536]", "2.5"), "--opt must be an integer in [1, 65536], got 2.5");
  EXPECT_EQ(refusal<int>("[0, inf)", "99999999999"), "--opt must be an integer in [0, inf), got 99999999999");
  EXPECT_EQ(refusal<int64_t>("[0, inf)", "99999999999999999999"),
            "--opt must be an integer in [0, inf), got 99999999999999999999");
  // CLI11 alone would take -1 for an unsigned option as its largest value.
  EXPECT_EQ(refusal<uint64_t>("[0, inf)", "-1"), "--opt must be an integer in [0, inf), got -1");
  int64_t parsed = 0;
  EXPECT_EQ(refusal<int64_t>("[0, inf)", "9223372036854775807", &parsed), "");
  EXPECT_EQ(parsed, INT64_MAX);
}

TEST(NumberOption, TheRangeShowsInHelp) {
  CLI::App app;
  double ratio = 0.1;
  add_number_option(&app, "--warmup-ratio", ratio, "[0, 1]", "Warmup share");
  EXPECT_NE(app.help().find("[0, 1]"), std::string::npos) << app.help();
}

TEST(NumberOption, AMalformedRangeIsAProgrammingError) {
  EXPECT_THROW(Interval("0, 1"), std::logic_error);
  EXPECT_THROW(Interval("[0; 1]"), std::logic_error);
  EXPECT_THROW(Interval("[zero, 1]"), std::logic_error);
}

}  // namespace
}  // namespace bertft
