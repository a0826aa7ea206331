#include <gtest/gtest.h>

#include <sstream>

#include "common/error.h"
#include "inference/input_reader.h"

namespace bertft {
namespace {

std::vector<InputRecord> read_all(const std::string& text, bool* json_lines = nullptr) {
  std::istringstream in(text);
  InputReader reader(in, "in.txt");
  std::vector<InputRecord> records;
  InputRecord r;
  while (reader.next(r)) records.push_back(r);
  if (json_lines) *json_lines = reader.json_lines();
  return records;
}

std::string read_error(const std::string& text) {
  try {
    read_all(text);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(InputReader, JsonLinesWhenTheFirstNonBlankLineIsAnObject) {
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

TEST(InputReader, PlainTextKeepsEveryLineIncludingEmptyOnes) {
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
}

TEST(InputReader, PlainTextInvalidUtf8IsReplacedAndCounted) {
  std::istringstream in("ok\nbad \xff byte\nalso \xc3\n");
  InputReader reader(in, "in.txt");
  InputRecord r;
  ASSERT_TRUE(reader.next(r));
  ASSERT_TRUE(reader.next(r));
  EXPECT_EQ(r.text, "bad \xEF\xBF\xBD byte");
  ASSERT_TRUE(reader.next(r));
  EXPECT_FALSE(reader.next(r));
  EXPECT_EQ(reader.sanitized_lines(), 2);
  EXPECT_EQ(reader.first_sanitized_line(), 2);
}

TEST(InputReader, BadJsonLinesNameTheLine) {
  EXPECT_EQ(read_error("{\"text\": \"a\"}\n{\"txt\": \"b\"}\n"), "in.txt:2: missing field \"text\"");
  EXPECT_EQ(read_error("{\"text\": 3}\n"), "in.txt:1: field \"text\" must be a string");
  EXPECT_EQ(read_error("{\"text\": \"a\", \"text_pair\": [1]}\n"),
            "in.txt:1: field \"text_pair\" must be a string");
  EXPECT_EQ(read_error("{\"text\": \"a\"}\n[\"b\"]\n"),
            "in.txt:2: expected a JSON object like {\"text\": \"...\"}");
  EXPECT_EQ(read_error("{\"text\": \"a\"}\nplain\n").rfind("in.txt:2: invalid JSON", 0), 0u);
}

}  // namespace
}  // namespace bertft
