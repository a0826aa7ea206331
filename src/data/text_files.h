#pragma once
// What the labeled-dataset reader (dataset.h) and the corpus reader (corpus.h) agree on: file
// kinds by name, blank lines, the text column names, and how a text is cleaned.
#include <string>
#include <string_view>
#include <vector>

namespace bertft {

// Keys / CSV columns taken as the text when none is given, in order of preference.
extern const std::vector<std::string> kTextColumnNames;  // text, review, sentence, content

std::string ascii_lower(std::string s);
bool is_blank(std::string_view line);
bool is_json_lines_name(const std::string& name);    // .jsonl / .json, any case
bool is_archive_name(const std::string& name);       // .tar.gz, .tgz, .tar, .zip, ..., any case
bool is_text_file_name(std::string_view name);       // *.txt, but not hidden files (editor backups, "._" forks)

// Invalid UTF-8 replaced with U+FFFD, then (strip_html) <br /> tags with spaces.
std::string clean_text(std::string text, bool strip_html);

}  // namespace bertft
