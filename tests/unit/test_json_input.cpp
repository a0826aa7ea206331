// parse_json_input: strict parsing (duplicate keys, depth, NUL bytes) in time linear in the input.
#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "common/error.h"
#include "common/json_input.h"
#include "test_util.h"

namespace bertft {
namespace {

std::string error_of(const std::string& text) {
  try {
    parse_json_input(text, "in.json");
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

// `n` copies of `item` joined by commas, between `open` and `close`.
std::string repeated(const std::string& open, const std::function<std::string(size_t)>& item, size_t n,
                     const std::string& close) {
  std::string s = open;
  for (size_t i = 0; i < n; i++) s += (i ? "," : "") + item(i);
  return s + close;
}

double seconds_to_parse(const std::string& text) {
  return test::cpu_seconds([&] { EXPECT_FALSE(parse_json_input(text, "in.json").is_null()); }, 3);
}

TEST(JsonInput, BuildsTheSameDocumentAsNlohmann) {
  const std::string text = R"({"a": [1, -2, 3.5, "x\u00e9", true, false, null, {}, []],
    "b": {"c": {"d": [[1], {"e": 18446744073709551615}]}}, "": 0})";
  EXPECT_EQ(parse_json_input(text, "in.json"), nlohmann::json::parse(text));
  EXPECT_EQ(parse_json_input("7", "in.json"), 7);
  EXPECT_EQ(parse_json_input(" \"s\" ", "in.json"), "s");
}

TEST(JsonInput, RejectsWithOneLineNamingTheFile) {
  EXPECT_EQ(error_of(R"({"a": {"b": 1, "b": 2}})"), "in.json: duplicate key 'b'");
  // Keys repeat freely across objects; only a repeat within one object is an error.
  EXPECT_EQ(error_of(R"({"a": {"b": 1}, "c": {"b": 2}, "d": [{"b": 3}, {"b": 4}]})"), "(no error)");
  EXPECT_EQ(error_of(std::string(256, '[') + std::string(256, ']')), "(no error)");
  EXPECT_EQ(error_of(std::string(257, '[') + std::string(257, ']')), "in.json: JSON nested deeper than 256 levels");
  EXPECT_EQ(error_of("[1, 2"), "in.json: invalid JSON: parse error at line 1, column 6: syntax error while parsing "
                               "array - unexpected end of input; expected ']'");
  EXPECT_EQ(error_of("{} x"), "in.json: invalid JSON: parse error at line 1, column 4: syntax error while parsing "
                              "value - invalid literal; last read: '{} x'; expected end of input");
  EXPECT_EQ(error_of("[1e999]"), "in.json: invalid JSON: number overflow parsing '1e999'");
  EXPECT_EQ(error_of(std::string("[1]\0", 4)), "in.json: invalid JSON: NUL byte at line 1, column 4");
}

// nlohmann's callback parser rescans the enclosing container after every object, which took 77 s
// for 600,000 empty objects; the parse must stay linear, whether they sit in an array or an object.
TEST(JsonInput, ManyEmptyObjectsParseInLinearTime) {
  const size_t n = 150'000;
  using Maker = std::function<std::string(size_t)>;
  const Maker in_array = [](size_t count) { return repeated("[", [](size_t) { return "{}"; }, count, "]"); };
  const Maker in_object = [](size_t count) {
    return repeated("{", [](size_t i) { return "\"k" + std::to_string(i) + "\":{}"; }, count, "}");
  };
  for (const Maker& make : {in_array, in_object}) {
    const double small = seconds_to_parse(make(n)), large = seconds_to_parse(make(4 * n));
    // Linear: 4x the time; quadratic: 16x.
    EXPECT_LT(large / small, 8.0) << small << " s for " << n << ", " << large << " s for " << 4 * n;
    EXPECT_LT(large, 1.0) << "600,000 empty objects";
  }
}

}  // namespace
}  // namespace bertft
