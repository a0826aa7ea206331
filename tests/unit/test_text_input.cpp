#include <gtest/gtest.h>

#include <sstream>

#include "common/error.h"
#include "data/text_input.h"

namespace bertft {
namespace {

std::vector<TextInput> read_all(const std::string& text, bool* json_lines = nullptr,
                                TextFormat format = TextFormat::kDetect) {
  std::istringstream in(text);
  TextInputReader reader(in, "in.txt", format);
  std::vector<TextInput> inputs;
  TextInput r;
  while (reader.next(r)) inputs.push_back(r);
  if (json_lines) *json_lines = reader.json_lines();
  return inputs;
}

std::string read_error(const std::string& text, TextFormat format = TextFormat::kDetect) {
  try {
    read_all(text, nullptr, format);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(TextInput, JsonLinesWhenTheFirstNonBlankLineIsAnObject) {
  bool json_lines = false;
  auto r = read_all("\n{\"text\": \"a\"}\r\n\n{\"text\": \"\", \"text_pair\": \"b\"}\n{\"text\": \"c\", \"text_pair\": null}",
                    &json_lines);
  EXPECT_TRUE(json_lines);
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[0].text, "a");
  EXPECT_EQ(r[0].line, 2);
  EXPECT_FALSE(r[0].text_pair);
  EXPECT_EQ(r[1].text, "");
  EXPECT_EQ(r[1].text_pair, "b");
  EXPECT_EQ(r[1].line, 4);
  EXPECT_FALSE(r[2].text_pair);
}

TEST(TextInput, PlainTextKeepsEveryLineIncludingEmptyOnes) {
  bool json_lines = true;
  auto r = read_all("\nfirst\r\n[1, 2]\n\nlast", &json_lines);
  EXPECT_FALSE(json_lines);
  ASSERT_EQ(r.size(), 5u);
  EXPECT_EQ(r[0].text, "");
  EXPECT_EQ(r[1].text, "first");
  EXPECT_EQ(r[2].text, "[1, 2]");
  EXPECT_EQ(r[4].text, "last");
  EXPECT_EQ(r[4].line, 5);
  EXPECT_TRUE(read_all("").empty());
  EXPECT_EQ(read_all(" \n\n", &json_lines).size(), 2u);  // no non-blank line: plain text
  EXPECT_FALSE(json_lines);
}

TEST(TextInput, InvalidUtf8IsReplacedAndCountedForOneWarning) {
  std::istringstream in("ok\nbad \xff byte\nalso \xc3\n");
  TextInputReader reader(in, "in.txt");
  TextInput r;
  EXPECT_EQ(reader.sanitized_warning(), "");
  ASSERT_TRUE(reader.next(r));
  ASSERT_TRUE(reader.next(r));
  EXPECT_EQ(r.text, "bad \xEF\xBF\xBD byte");
  ASSERT_TRUE(reader.next(r));
  EXPECT_FALSE(reader.next(r));
  EXPECT_EQ(reader.sanitized_lines(), 2);
  EXPECT_EQ(reader.first_sanitized_line(), 2);
  EXPECT_EQ(reader.sanitized_warning(), "in.txt: invalid UTF-8 replaced with U+FFFD in 2 line(s), the first being line 2");
}

TEST(TextInput, JsonLinesInvalidUtf8IsReplacedToo) {
  // Also in the first line, which must still be detected as JSON Lines.
  std::istringstream in("{\"text\": \"a\xff\"}\n{\"text\": \"b\", \"text_pair\": \"\xc3\"}\n");
  TextInputReader reader(in, "in.txt");
  TextInput r;
  ASSERT_TRUE(reader.next(r));
  EXPECT_TRUE(reader.json_lines());
  EXPECT_EQ(r.text, "a\xEF\xBF\xBD");
  ASSERT_TRUE(reader.next(r));
  EXPECT_EQ(r.text_pair, "\xEF\xBF\xBD");
  EXPECT_EQ(reader.sanitized_lines(), 2);
}

TEST(TextInput, JsonLinesOnlySkipsBlankLinesAndRejectsPlainText) {
  bool json_lines = false;
  auto r = read_all("\n{\"text\": \"a\"}\n \t\n{\"text\": \"b\"}\n\n", &json_lines, TextFormat::kJsonLines);
  EXPECT_TRUE(json_lines);
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[1].line, 4);
  EXPECT_TRUE(read_all("\n\n", nullptr, TextFormat::kJsonLines).empty());
  EXPECT_EQ(read_error("plain\n", TextFormat::kJsonLines).rfind("in.txt:1: invalid JSON: parse error at line 1", 0), 0u);
}

TEST(TextInput, BadJsonLinesNameTheLine) {
  EXPECT_EQ(read_error("{\"text\": \"a\"}\n{\"txt\": \"b\"}\n"), "in.txt:2: text: expected a string, got nothing");
  EXPECT_EQ(read_error("{\"text\": 3}\n"), "in.txt:1: text: expected a string, got number");
  EXPECT_EQ(read_error("{\"text\": \"a\", \"text_pair\": [1]}\n"), "in.txt:1: text_pair: expected a string, got array");
  EXPECT_EQ(read_error("{\"text\": \"a\"}\n[\"b\"]\n"),
            "in.txt:2: expected a JSON object like {\"text\": \"...\"}, got [\"b\"]");
  EXPECT_EQ(read_error("{\"text\": \"a\"}\nplain\n").rfind("in.txt:2: invalid JSON: ", 0), 0u);
  EXPECT_EQ(read_error("{\"text\": \"a\", \"text\": \"b\"}\n"), "in.txt:1: duplicate key 'text'");
  EXPECT_EQ(read_error(std::string("{\"text\": \"a\"}\0x\n", 15)), "in.txt:1: invalid JSON: NUL byte at line 1, column 14");
}

}  // namespace
}  // namespace bertft
