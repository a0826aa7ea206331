#pragma once
// libarchive's message for the last error on an archive, as one line: some of its messages end in a
// newline, and an Error's message is a single line (common/error.h).
#include <archive.h>

#include <string>

namespace bertft {

inline std::string archive_message(struct archive* a) {
  const char* message = archive_error_string(a);
  std::string line = message ? message : "unknown libarchive error";
  for (char& c : line)
    if (static_cast<unsigned char>(c) < 0x20) c = ' ';
  while (!line.empty() && line.back() == ' ') line.pop_back();
  return line;
}

}  // namespace bertft
