#include "data/text_input.h"

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/json_input.h"
#include "tokenizer/tokenizer.h"

namespace bertft {

namespace {

bool is_blank(const std::string& line) {
  return line.find_first_not_of(" \t\r\n\f\v") == std::string::npos;
}

}  // namespace

std::string input_location(const std::string& source, const TextInput& input) {
  return input.line > 0 ? source + ":" + std::to_string(input.line) : source;
}

TextInputReader::TextInputReader(std::istream& in, std::string name, TextFormat format)
    : in_(in), name_(std::move(name)), json_lines_(format == TextFormat::kJsonLines) {
  if (format != TextFormat::kDetect) return;
  std::string line;
  while (std::getline(in_, line)) {
    lookahead_.push_back(line);
    if (is_blank(line)) continue;
    sanitize_utf8(line);  // a stray byte in a text must not turn JSON Lines into plain text
    json_lines_ = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false).is_object();
    break;
  }
  if (in_.bad()) fail_file(name_, "read error");
}

bool TextInputReader::read_line(std::string& line) {
  if (lookahead_used_ < lookahead_.size()) {
    line = std::move(lookahead_[lookahead_used_++]);
  } else if (!std::getline(in_, line)) {
    if (in_.bad()) fail_file(name_, "read error");
    return false;
  }
  line_number_++;
  if (!line.empty() && line.back() == '\r') line.pop_back();
  if (sanitize_utf8(line) && sanitized_lines_++ == 0) first_sanitized_line_ = line_number_;
  return true;
}

bool TextInputReader::next(TextInput& input) {
  std::string line;
  input.text_pair.reset();
  if (!json_lines_) {
    if (!read_line(line)) return false;
    input.text = std::move(line);
    input.line = line_number_;
    return true;
  }
  do {
    if (!read_line(line)) return false;
  } while (is_blank(line));
  input.line = line_number_;
  const std::string where = input_location(name_, input);
  const nlohmann::json object = parse_json_input(line, where);
  if (!object.is_object()) fail_file(where, "expected a JSON object like {\"text\": \"...\"}, got " + brief(object));
  const JsonField record(object, where);
  input.text = record["text"].as_string();
  if (const JsonField pair = record["text_pair"]; !pair.absent()) input.text_pair = pair.as_string();
  return true;
}

std::string TextInputReader::sanitized_warning() const {
  if (sanitized_lines_ == 0) return "";
  return name_ + ": invalid UTF-8 replaced with U+FFFD in " + std::to_string(sanitized_lines_) +
         " line(s), the first being line " + std::to_string(first_sanitized_line_);
}

}  // namespace bertft
