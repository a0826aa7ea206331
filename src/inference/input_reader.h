#pragma once
// Reads the texts to classify from a stream, one input per line, in one of two formats detected
// per stream: JSON Lines ({"text": ..., "text_pair": ...} objects) if the first non-blank line parses
// as a JSON object, else plain text (each line is one text, an empty line an empty text).
#include <cstdint>
#include <istream>
#include <optional>
#include <string>
#include <vector>

namespace bertft {

struct InputRecord {
  std::string text;
  std::optional<std::string> text_pair;
  int64_t line = 0;  // 1-based line number in the stream
};

class InputReader {
 public:
  // `name` is used in errors: "NAME:LINE: ...". Reads ahead to the first non-blank line to detect
  // the format.
  InputReader(std::istream& in, std::string name);

  // The next record, false at the end. JSON Lines: blank lines are skipped; a line that is not a
  // JSON object with a string "text" (and optionally a string or null "text_pair") throws Error.
  // Plain text: invalid UTF-8 is replaced with U+FFFD (counted in sanitized_lines()).
  bool next(InputRecord& record);

  bool json_lines() const { return json_lines_; }
  const std::string& name() const { return name_; }
  int64_t sanitized_lines() const { return sanitized_lines_; }
  int64_t first_sanitized_line() const { return first_sanitized_line_; }

 private:
  bool read_line(std::string& line);

  std::istream& in_;
  std::string name_;
  bool json_lines_ = false;
  std::vector<std::string> lookahead_;  // lines read while detecting the format
  size_t lookahead_used_ = 0;
  int64_t line_number_ = 0;
  int64_t sanitized_lines_ = 0;
  int64_t first_sanitized_line_ = 0;
};

}  // namespace bertft
