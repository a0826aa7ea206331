#include "data/csv.h"

#include "common/error.h"

namespace bertft {

CsvReader::CsvReader(std::string_view data, char delimiter, std::string name)
    : data_(data), delimiter_(delimiter), name_(std::move(name)) {
  if (data_.substr(0, 3) == "\xEF\xBB\xBF") pos_ = 3;
}

bool CsvReader::next(CsvRecord& record) {
  const size_t n = data_.size();
  // Skip empty lines between records.
  while (pos_ < n) {
    if (data_[pos_] == '\n') {
      pos_++;
      line_++;
    } else if (data_[pos_] == '\r' && pos_ + 1 < n && data_[pos_ + 1] == '\n') {
      pos_ += 2;
      line_++;
    } else {
      break;
    }
  }
  if (pos_ >= n) return false;
  record.fields.clear();
  record.line = line_;
  const std::string where = name_ + ":" + std::to_string(record.line);
  while (true) {
    std::string field;
    if (pos_ < n && data_[pos_] == '"') {
      pos_++;
      while (true) {
        if (pos_ >= n) fail_file(where, "unterminated quoted field (field " + std::to_string(record.fields.size() + 1) + ")");
        const char c = data_[pos_];
        if (c == '"') {
          if (pos_ + 1 < n && data_[pos_ + 1] == '"') {
            field += '"';
            pos_ += 2;
            continue;
          }
          pos_++;
          break;
        }
        if (c == '\n') line_++;
        field += c;
        pos_++;
      }
      record.fields.push_back(std::move(field));
      if (pos_ >= n) return true;
      const char c = data_[pos_];
      if (c == delimiter_) {
        pos_++;
        continue;
      }
      if (c == '\n' || (c == '\r' && (pos_ + 1 >= n || data_[pos_ + 1] == '\n'))) {
        pos_ += c == '\r' && pos_ + 1 < n ? 2 : 1;
        line_++;
        return true;
      }
      fail_file(where, "text after the closing quote of field " + std::to_string(record.fields.size()) +
                           " (a quote inside a quoted field is written \"\")");
    }
    size_t end = pos_;
    while (end < n && data_[end] != delimiter_ && data_[end] != '\n') end++;
    std::string_view raw = data_.substr(pos_, end - pos_);
    const bool at_delimiter = end < n && data_[end] == delimiter_;
    if (!at_delimiter && !raw.empty() && raw.back() == '\r') raw.remove_suffix(1);
    record.fields.emplace_back(raw);
    pos_ = end;
    if (at_delimiter) {
      pos_++;
      continue;
    }
    if (pos_ < n) {  // '\n'
      pos_++;
      line_++;
    }
    return true;
  }
}

}  // namespace bertft
