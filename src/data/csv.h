#pragma once
// A CSV / TSV record reader over text in memory (RFC 4180 quoting; see data/dataset.h for the exact
// rules). Errors name the line the offending record starts on: "NAME:LINE: problem".
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace bertft {

struct CsvRecord {
  std::vector<std::string> fields;
  int64_t line = 0;  // 1-based line the record starts on
};

class CsvReader {
 public:
  // `data` must outlive the reader. A leading UTF-8 BOM is skipped.
  CsvReader(std::string_view data, char delimiter, std::string name);
  // The next non-empty record, false at the end. Throws Error on an unterminated quoted field or
  // text after a closing quote.
  bool next(CsvRecord& record);
  const std::string& name() const { return name_; }

 private:
  std::string_view data_;
  char delimiter_;
  std::string name_;
  size_t pos_ = 0;
  int64_t line_ = 1;
};

}  // namespace bertft
