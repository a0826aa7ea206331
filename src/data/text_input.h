#pragma once
// The texts that `bertft tokenize` and `bertft predict` read, one input per line, so that both
// commands accept the same inputs and report problems the same way.
//
//   JSON Lines: each line is an object {"text": "...", "text_pair": "..."}; text_pair is optional
//     (absent or null: a single text). Blank lines (nothing but whitespace) are skipped, so a
//     trailing newline or a gap between records is harmless; any other line that is not such an
//     object is an error. Parsed strictly (common/json_input.h: no duplicate keys, no NUL).
//   Plain text: every line is one text, as it is; an empty line is an empty text. No pairs.
//
// TextFormat::kDetect picks JSON Lines if the first non-blank line parses as a JSON object, plain
// text otherwise (also when no line is non-blank); `tokenize` asks for JSON Lines only. In both
// formats lines end at "\n" (a "\r" before it is dropped), and invalid UTF-8 is replaced with
// U+FFFD, as Python's errors="replace" does; the lines where that happened are counted for a single
// warning at the end (sanitized_warning()). Errors are one line: "NAME:LINE: problem", NAME being
// the file name or "stdin".
#include <cstdint>
#include <istream>
#include <optional>
#include <string>
#include <vector>

namespace bertft {

struct TextInput {
  std::string text;
  std::optional<std::string> text_pair;
  int64_t line = 0;  // 1-based line number in the stream
};

// "SOURCE:LINE" for errors about an input read from a stream; SOURCE alone if it has no line number
// (a text given on the command line).
std::string input_location(const std::string& source, const TextInput& input);

enum class TextFormat {
  kDetect,     // JSON Lines or plain text, from the first non-blank line
  kJsonLines,  // JSON Lines only: a plain-text line is an error
};

class TextInputReader {
 public:
  // `name` is used in errors: "NAME:LINE: ...". kDetect reads ahead to the first non-blank line.
  TextInputReader(std::istream& in, std::string name, TextFormat format = TextFormat::kDetect);

  // The next input, false at the end; throws Error for a malformed JSON Lines record or a read error.
  bool next(TextInput& input);

  bool json_lines() const { return json_lines_; }
  const std::string& name() const { return name_; }
  int64_t sanitized_lines() const { return sanitized_lines_; }
  int64_t first_sanitized_line() const { return first_sanitized_line_; }
  // "NAME: invalid UTF-8 replaced with U+FFFD in N line(s), the first being line L", or "" if no
  // line had any.
  std::string sanitized_warning() const;

 private:
  bool read_line(std::string& line);

  std::istream& in_;
  std::string name_;
  bool json_lines_;
  std::vector<std::string> lookahead_;  // lines read while detecting the format
  size_t lookahead_used_ = 0;
  int64_t line_number_ = 0;
  int64_t sanitized_lines_ = 0;
  int64_t first_sanitized_line_ = 0;
};

}  // namespace bertft
