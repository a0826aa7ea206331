#include "inference/input_reader.h"

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "tokenizer/tokenizer.h"

namespace bertft {

namespace {

bool is_blank(const std::string& line) {
  return line.find_first_not_of(" \t\r\n\f\v") == std::string::npos;
}

}  // namespace

InputReader::InputReader(std::istream& in, std::string name) : in_(in), name_(std::move(name)) {
  std::string line;
  while (std::getline(in_, line)) {
    lookahead_.push_back(line);
    if (is_blank(line)) continue;
    const nlohmann::json first = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    json_lines_ = first.is_object();
    break;
  }
  if (in_.bad()) fail_file(name_, "read error");
}

bool InputReader::read_line(std::string& line) {
  if (lookahead_used_ < lookahead_.size()) {
    line = std::move(lookahead_[lookahead_used_++]);
  } else if (!std::getline(in_, line)) {
    if (in_.bad()) fail_file(name_, "read error");
    return false;
  }
  line_number_++;
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return true;
}

bool InputReader::next(InputRecord& record) {
  std::string line;
  if (!json_lines_) {
    if (!read_line(line)) return false;
    if (sanitize_utf8(line) && sanitized_lines_++ == 0) first_sanitized_line_ = line_number_;
    record.text = std::move(line);
    record.text_pair.reset();
    record.line = line_number_;
    return true;
  }
  do {
    if (!read_line(line)) return false;
  } while (is_blank(line));
  const std::string where = name_ + ":" + std::to_string(line_number_) + ": ";
  nlohmann::json object;
  try {
    object = nlohmann::json::parse(line);
  } catch (const nlohmann::json::parse_error& e) {
    throw Error(where + "invalid JSON (" + e.what() + ")");
  }
  if (!object.is_object()) throw Error(where + "expected a JSON object like {\"text\": \"...\"}");
  const auto text = object.find("text");
  if (text == object.end()) throw Error(where + "missing field \"text\"");
  if (!text->is_string()) throw Error(where + "field \"text\" must be a string");
  record.text = text->get<std::string>();
  record.text_pair.reset();
  const auto pair = object.find("text_pair");
  if (pair != object.end() && !pair->is_null()) {
    if (!pair->is_string()) throw Error(where + "field \"text_pair\" must be a string");
    record.text_pair = pair->get<std::string>();
  }
  record.line = line_number_;
  return true;
}

}  // namespace bertft
