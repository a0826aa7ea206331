#include "data/text_files.h"

#include "data/dataset.h"
#include "tokenizer/tokenizer.h"

namespace bertft {

const std::vector<std::string> kTextColumnNames = {"text", "review", "sentence", "content"};

std::string ascii_lower(std::string s) {
  for (char& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return s;
}

bool is_blank(std::string_view line) { return line.find_first_not_of(" \t\r\n\f\v") == std::string_view::npos; }

bool is_json_lines_name(const std::string& name) {
  const std::string n = ascii_lower(name);
  return n.ends_with(".jsonl") || n.ends_with(".json");
}

bool is_archive_name(const std::string& name) {
  const std::string n = ascii_lower(name);
  for (const char* suffix : {".tar.gz", ".tgz", ".tar", ".zip", ".tar.bz2", ".tar.xz", ".tar.zst"})
    if (n.ends_with(suffix)) return true;
  return false;
}

bool is_text_file_name(std::string_view name) { return !name.empty() && name[0] != '.' && name.ends_with(".txt"); }

std::string clean_text(std::string text, bool strip_html) {
  sanitize_utf8(text);
  return strip_html ? strip_html_breaks(text) : text;
}

}  // namespace bertft
